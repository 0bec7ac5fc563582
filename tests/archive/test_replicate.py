"""`pyros archive replicate`: every file copied to the replica root under the same path
and checked there; an identical copy skipped, a damaged one copied again; a source that
no longer matches its row not spread; no replica, a clear refusal."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pyros.archive import layout
from pyros.archive.checksums import sha256_file
from pyros.archive.replicate import ReplicaError, replica_root, replicate
from pyros.cli.main import cli
from tests.archive.test_verify import flip_a_byte

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["archive", "replicate", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def replica_files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_copies_every_file_checks_it_then_skips_identical_ones(archived_night, tmp_path):
    frames = archived_night.all
    code, out, _ = run()
    assert code == 0, out
    replica = tmp_path / "replica"
    assert f"{len(frames)} copied" in out and "0 already there, 0 failed" in out
    assert replica_files(replica) == {f.path for f in frames}  # no .part left
    for frame in frames:
        assert sha256_file(replica / frame.path) == frame.sha256
    code, out, _ = run()
    assert code == 0 and f"0 copied (0 B, 0 MB/s), {len(frames)} already there" in out


def test_a_damaged_or_missing_copy_is_copied_again(archived_night, tmp_path):
    unit, replica = archived_night.unit, tmp_path / "replica"
    first = replicate(unit, replica_root(unit))
    assert first.ok and first.copied == len(archived_night.all)
    damaged, missing = archived_night.mine[1], archived_night.catalogue
    flip_a_byte(replica / damaged.path)
    (replica / missing.path).unlink()
    again = replicate(unit, replica_root(unit))
    assert (again.copied, again.skipped, again.failed) == (2, len(archived_night.all) - 2, [])
    assert again.bytes == damaged.size + missing.size
    assert sha256_file(replica / damaged.path) == damaged.sha256
    assert (replica / missing.path).exists()


def test_a_corrupt_or_missing_source_fails_and_exits_1(archived_night, tmp_path):
    unit = archived_night.unit
    flip_a_byte(layout.absolute(unit, archived_night.mine[0].path))
    layout.absolute(unit, archived_night.theirs[0].path).unlink()
    code, out, _ = run("--to", str(tmp_path / "elsewhere"))
    assert code == 1
    assert f"FAILED {archived_night.mine[0].path}: the source's SHA-256" in out
    assert f"FAILED {archived_night.theirs[0].path}:" in out
    assert f"{len(archived_night.all) - 2} copied" in out and "2 failed" in out
    copies = replica_files(tmp_path / "elsewhere")
    assert archived_night.mine[0].path not in copies  # neither the bad copy nor a .part
    assert not any(name.endswith(".part") for name in copies)


def test_no_replica_configured_is_said_with_exit_1(archived_night, tmp_path, monkeypatch):
    source = (tmp_path / "unit.toml").read_text()
    path = tmp_path / "no-replica.toml"
    path.write_text(source.replace(f'replica = "{tmp_path / "replica"}"', 'replica = ""'))
    monkeypatch.setenv("PYROS_CONFIG", str(path))
    code, _, err = run()
    assert code == 1
    assert "no replica configured" in err and "--to DIR" in err


def test_the_replica_may_not_overlap_the_archive(archived_night):
    unit = archived_night.unit
    with pytest.raises(ReplicaError, match="overlaps"):
        replica_root(unit, layout.archive_root(unit) / "copy")
