"""Frames recorded before the archive existed are moved into its layout and catalogued
by `pyros archive adopt`; a file that is gone is reported, never invented."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from click.testing import CliRunner

from pyros.analysis.models import FrameAnalysis, MasterCalibration
from pyros.archive.models import ArchiveFrame
from pyros.cli.main import cli
from pyros.images.models import Image
from tests.archive.conftest import NIGHT, TAKEN

pytestmark = pytest.mark.django_db


def old_file(path: Path, value: float = 1000.0) -> Path:
    """A frame as PyROS wrote them before the archive: no checksums."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = fits.Header({"IMAGETYP": "LIGHT", "RA": 10.0, "DEC": 20.0})
    fits.PrimaryHDU(np.full((64, 64), value, np.float32), header).writeto(path)
    return path


def test_old_frames_are_moved_into_the_layout_and_catalogued(archive_unit, tmp_path):
    home = tmp_path / "home"
    raw = old_file(home / "images" / "2026-11-21" / "old-raw.fits")
    image = Image.objects.create(
        path=str(raw), night=NIGHT, channel="VIS", frame_type="LIGHT", filter="r",
        exposure=60.0, date_obs=TAKEN, date_end=TAKEN + timedelta(seconds=62),
        work_key="sequence-1", target_name="M31")
    master_file = old_file(home / "masters" / "2026-11-21" / "master-bias-old.fits")
    master = MasterCalibration.objects.create(
        kind="BIAS", channel="VIS", binning=1, night=NIGHT, date_obs=TAKEN,
        path=str(master_file), frame_count=3, created_at=TAKEN)
    calibrated = old_file(home / "processed" / "2026-11-21" / "old-raw-cal.fits", 5.0)
    FrameAnalysis.objects.create(image=image, queued_at=TAKEN, status="DONE",
                                 calibrated_path=str(calibrated), bias=master)
    gone = Image.objects.create(
        path=str(home / "images" / "gone.fits"), night=NIGHT, channel="VIS",
        frame_type="LIGHT", exposure=1.0, date_obs=TAKEN, date_end=TAKEN, work_key="x")

    result = CliRunner().invoke(cli, ["archive", "adopt"])
    assert result.exit_code == 1, result.output  # one file is gone
    assert f"MISSING  {gone.path}" in result.output
    assert "3 files catalogued (3 moved into the layout)" in result.output

    image.refresh_from_db()
    master.refresh_from_db()
    analysis = FrameAnalysis.objects.get(image=image)
    root = Path(archive_unit.archive.root) / archive_unit.unit / "VIS" / "20261121"
    assert Path(image.path) == root / "raw" / "old-raw.fits" and not raw.exists()
    assert Path(master.path) == root / "cal" / "master-bias-old.fits"
    assert Path(analysis.calibrated_path) == root / "processed" / "old-raw-cal.fits"
    for frame in ArchiveFrame.objects.all():
        path = root.parent.parent.parent / frame.path
        assert frame.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        with fits.open(path, checksum=True) as hdus:
            assert hdus[0].header["DATASUM"]
    assert {f.product for f in ArchiveFrame.objects.all()} == {"RAW", "MASTER", "PROCESSED"}

    again = CliRunner().invoke(cli, ["archive", "adopt"])  # nothing left but the gone one
    assert "0 files catalogued" in again.output and again.exit_code == 1
