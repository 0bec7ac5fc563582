"""`pyros archive verify`: a night's files checked against the catalogue; a flipped byte,
a deleted file and a file no row names found, with exit 1; intact files get their
verified_at; files being written and the previews are not orphans."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pyros.archive import layout
from pyros.archive.models import ArchiveFrame
from pyros.archive.verify import ProblemKind, verify
from pyros.cli.main import cli
from tests.archive.conftest import NIGHT
from tests.conftest import TEST_NOW

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["archive", "verify", *args], catch_exceptions=False)
    return result.exit_code, result.stdout


def flip_a_byte(path: Path, offset: int = 20_000) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(data)


def test_an_intact_night_exits_0_and_is_marked_verified(archived_night):
    code, out = run()
    assert code == 0, out
    count = len(archived_night.all)
    assert f"{count} files (all)" in out
    assert f"{count} intact, 0 missing, 0 corrupt, 0 orphans" in out
    assert "MB/s" in out
    assert not ArchiveFrame.objects.filter(verified_at__isnull=True).exists()
    assert set(ArchiveFrame.objects.values_list("verified_at", flat=True)) == {TEST_NOW}


def test_a_flipped_byte_and_a_deleted_file_exit_1_each_named(archived_night):
    unit = archived_night.unit
    corrupted, deleted = archived_night.mine[0], archived_night.master
    flip_a_byte(layout.absolute(unit, corrupted.path))
    layout.absolute(unit, deleted.path).unlink()
    code, out = run()
    assert code == 1
    lines = out.splitlines()
    assert any(line.startswith("CORRUPT") and corrupted.path in line and "SHA-256" in line
               for line in lines), out
    assert any(line.startswith("MISSING") and deleted.path in line for line in lines), out
    assert "1 missing, 1 corrupt, 0 orphans" in out
    # Only the intact ones were stamped.
    unverified = set(ArchiveFrame.objects.filter(verified_at__isnull=True)
                     .values_list("pk", flat=True))
    assert unverified == {corrupted.pk, deleted.pk}


def test_a_truncated_file_is_corrupt_by_its_size(archived_night):
    path = layout.absolute(archived_night.unit, archived_night.bias.path)
    path.write_bytes(path.read_bytes()[:1000])
    report = verify(archived_night.unit)
    [problem] = report.problems
    assert (problem.kind, problem.path) == (ProblemKind.CORRUPT, archived_night.bias.path)
    assert "size 1000 bytes" in problem.detail


def test_an_orphan_is_found_but_not_part_files_nor_previews(archived_night):
    unit = archived_night.unit
    folder = layout.folder(unit, "VIS", NIGHT, "raw")
    (folder / "stray.fits").write_bytes(b"SIMPLE")
    (folder / "being-written.fits.part").write_bytes(b"SIMPLE")
    previews = layout.previews_root(unit) / "x" / "m31-0-thumb.png"
    previews.parent.mkdir(parents=True)
    previews.write_bytes(b"\x89PNG")
    code, out = run("--json")
    assert code == 1
    report = json.loads(out)
    assert report["orphans"] == 1 and report["missing"] == report["corrupt"] == 0
    [problem] = report["problems"]
    assert problem["kind"] == "ORPHAN"
    assert problem["path"] == layout.relative(unit, folder / "stray.fits")
    assert report["files"] == len(archived_night.all)
    assert report["bytes"] == sum(f.size for f in archived_night.all)


def test_one_night_checks_its_rows_and_its_folders_only(archived_night):
    unit = archived_night.unit
    other = layout.folder(unit, "VIS", NIGHT.replace(day=1), "raw")
    other.mkdir(parents=True)
    (other / "another-night.fits").write_bytes(b"SIMPLE")
    report = verify(unit, night=NIGHT)
    assert report.ok and report.files == len(archived_night.all)
    code, out = run("--night", NIGHT.replace(day=1).isoformat())
    assert code == 1 and "0 files (2026-11-01)" in out
    assert "ORPHAN" in out and "another-night.fits" in out
    code, out = run("--all")
    assert code == 1 and "another-night.fits" in out


def test_night_and_all_together_are_refused():
    result = CliRunner().invoke(cli, ["archive", "verify", "--all", "--night", "2026-11-21"])
    assert result.exit_code == 2 and "not both" in result.output
