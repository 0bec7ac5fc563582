"""`pyros archive prune`: exactly what the retention rules name goes, row and file
together and logged; a master stays while a kept frame was calibrated with it; previews
are pruned and remade on demand; --dry-run deletes nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from pyros.archive import layout
from pyros.archive.ingest import previews_for_one, previews_of
from pyros.archive.models import ArchiveFrame, Previews, Product
from pyros.archive.prune import plan
from pyros.cli.main import cli
from pyros.config.loader import load_config
from tests.archive.conftest import TAKEN

pytestmark = pytest.mark.django_db

EXAMPLE_RETENTION = "raw = 3650\nprocessed = 730\ncatalogue = 730\nmaster = 730 "


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """The data directory of the command (its logs)."""
    monkeypatch.setenv("PYROS_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def retention(archived_night, tmp_path, monkeypatch):
    """``retention(raw=1, ...)``: the night's unit with these rules, as the configuration
    the command reads."""
    counter = iter(range(100))

    def configure(raw: int = 0, processed: int = 0, catalogue: int = 0, master: int = 0,
                  preview: int = 0):
        source = Path(tmp_path / "unit.toml").read_text()
        assert EXAMPLE_RETENTION in source
        text = source.replace(
            EXAMPLE_RETENTION, f"raw = {raw}\nprocessed = {processed}\n"
                               f"catalogue = {catalogue}\nmaster = {master} ") \
            .replace("preview = 30", f"preview = {preview}")
        path = tmp_path / f"unit-{next(counter)}.toml"  # the loader caches by path
        path.write_text(text)
        monkeypatch.setenv("PYROS_CONFIG", str(path))
        return load_config(path)

    return configure


def prune(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["archive", "prune", *args], catch_exceptions=False)
    return result.exit_code, result.stdout


def on_disk(unit) -> set[str]:
    root = layout.archive_root(unit)
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_dry_run_lists_what_would_go_and_deletes_nothing(archived_night, retention,
                                                          simulated_clock, home):
    unit = retention(raw=1)
    simulated_clock.set(TAKEN + timedelta(days=3))
    before_rows, before_files = ArchiveFrame.objects.count(), on_disk(unit)
    code, out = prune("--dry-run")
    assert code == 0, out
    raws = [f for f in archived_night.all if f.product == Product.RAW]
    for frame in raws:
        assert f"would delete RAW {frame.path}" in out
    assert out.count("would delete") == len(raws) == 5
    assert "dry run: 5 files and the previews of 0 frames would go" in out
    freed = sum(f.size for f in raws)
    assert plan(unit).bytes == freed
    assert f"({freed} bytes) freed" in out
    assert ArchiveFrame.objects.count() == before_rows and on_disk(unit) == before_files
    assert not (home / "logs" / "archive-prune.log").exists()


def test_old_raw_frames_go_the_master_stays_while_a_kept_frame_used_it(
        archived_night, retention, simulated_clock, home):
    unit = retention(raw=1, master=1)  # processed and catalogue kept for ever
    simulated_clock.set(TAKEN + timedelta(days=3))
    recent = archived_night.mine[2]  # observed yesterday: younger than the rule
    ArchiveFrame.objects.filter(pk=recent.pk).update(
        date_obs=TAKEN + timedelta(days=2, hours=12))
    stray = layout.folder(unit, "VIS", archived_night.mine[0].night, "raw") / "stray.fits"
    stray.write_bytes(b"SIMPLE")  # no rule names an orphan
    before = on_disk(unit)
    code, out = prune()
    assert code == 0, out
    gone = {f.path for f in archived_night.all
            if f.product == Product.RAW and f.pk != recent.pk}
    assert len(gone) == 4
    assert on_disk(unit) == before - gone
    assert set(ArchiveFrame.objects.values_list("path", flat=True)) == \
        {f.path for f in archived_night.all} - gone
    # The calibrated frame and its catalogue are kept, and were calibrated with it.
    assert f"kept MASTER {archived_night.master.path}" in out
    log = (home / "logs" / "archive-prune.log").read_text().splitlines()
    assert len(log) == 4 and all("DELETED RAW" in line and "raw: 1 d" in line for line in log)
    assert {line.split()[3] for line in log} == gone
    assert "pruned: 4 files" in out
    # Nothing left to do.
    assert prune()[1].startswith("kept MASTER")
    assert "pruned: 0 files" in prune()[1]


def test_the_master_goes_once_no_kept_frame_used_it(archived_night, retention,
                                                     simulated_clock, home):
    unit = retention(raw=1, processed=1, catalogue=1, master=1)
    simulated_clock.set(TAKEN + timedelta(days=3))
    code, out = prune()
    assert code == 0, out
    assert not ArchiveFrame.objects.exists()
    assert on_disk(unit) == set()
    assert not any(layout.archive_root(unit).iterdir())  # no empty night left behind
    assert f"DELETED MASTER {archived_night.master.path}" in out


def test_a_master_used_by_a_kept_raw_frame_stays(archived_night, retention,
                                                 simulated_clock, home):
    unit = retention(master=1)  # raw frames kept for ever; the first used the master bias
    simulated_clock.set(TAKEN + timedelta(days=30))
    planned = plan(unit)
    assert planned.frames == [] and planned.kept_masters == [archived_night.master.path]


def test_zero_days_keeps_everything_for_ever(archived_night, retention, simulated_clock,
                                             home):
    retention()
    simulated_clock.set(TAKEN + timedelta(days=365 * 50))
    code, out = prune()
    assert code == 0
    assert ArchiveFrame.objects.count() == len(archived_night.all)
    assert "pruned: 0 files and the previews of 0 frames" in out


def test_previews_are_pruned_then_remade_on_demand(archived_night, retention,
                                                   simulated_clock, home):
    unit = retention(preview=1)
    frame = archived_night.mine[0]
    assert previews_of(unit, frame)
    frame.refresh_from_db()
    previews = layout.previews_root(unit)
    files = [previews / frame.thumbnail, previews / frame.preview]
    assert all(f.exists() for f in files)
    simulated_clock.set(TAKEN + timedelta(days=3))
    code, out = prune()
    assert code == 0, out
    assert f"DELETED previews of {frame.path} (2 files" in out
    assert not any(f.exists() for f in files)
    frame.refresh_from_db()
    assert (frame.thumbnail, frame.preview, frame.previews) == ("", "", Previews.PENDING)
    assert ArchiveFrame.objects.count() == len(archived_night.all)  # the frames stay
    # The idle analysis agent leaves old frames alone; a page asking remakes them.
    assert not previews_for_one(unit)
    assert previews_of(unit, frame) and all(f.exists() for f in files)
