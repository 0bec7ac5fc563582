"""Reading frames of any origin, and refusing what is not one, saying why."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from astropy.io import fits

from pyros.analysis.frames import FrameError, FrameKind, frame_from, kind_of, load_frame
from pyros.simulators.sky import FrameType
from tests.analysis.conftest import SMALL, request


def test_a_simulated_frame_says_what_it_is(write):
    frame = load_frame(write(request(detector=SMALL, exposure=30.0), "light.fits"))
    assert frame.kind is FrameKind.LIGHT and frame.shape == (256, 256)
    assert (frame.exposure, frame.filter, frame.binning) == (30.0, "r", 1)
    assert (frame.gain, frame.read_noise, frame.ccd_temperature) == (1.5, 8.0, -20.0)
    assert frame.pointing is not None and (frame.pointing.ra, frame.pointing.dec) == (40, 30)
    assert frame.pixel_scale == pytest.approx(0.38)
    assert frame.date_obs is not None and frame.date_obs.year == 2026
    assert frame.data.dtype == np.float32 and frame.saturation == 65535.0


@pytest.mark.parametrize(("value", "kind"), [
    ("Light Frame", FrameKind.LIGHT), ("object", FrameKind.LIGHT), ("BIAS", FrameKind.BIAS),
    ("zero", FrameKind.BIAS), ("Dark Frame", FrameKind.DARK), ("SKYFLAT", FrameKind.FLAT),
    ("Flat Field", FrameKind.FLAT), ("", FrameKind.LIGHT)])
def test_frame_types_in_the_spellings_in_use(value, kind):
    assert kind_of(fits.Header({"IMAGETYP": value})) is kind


def test_sexagesimal_pointings_and_other_keywords(tmp_path):
    header = fits.Header({"OBJCTRA": "02 40 00.0", "OBJCTDEC": "+30 00 00", "EXPOSURE": 12.5,
                          "EGAIN": 2.0, "SATURATE": 50000.0, "DATE-OBS": "2026-11-22",
                          "TIME-OBS": "06:00:00"})
    path = tmp_path / "other.fits"
    fits.HDUList([fits.PrimaryHDU(header=header),
                  fits.CompImageHDU(np.ones((40, 50), np.float32))]).writeto(path)
    frame = load_frame(path)
    assert frame.shape == (40, 50)  # the image in a compressed extension
    assert frame.pointing.ra == pytest.approx(40.0) and frame.pointing.dec == pytest.approx(30.0)
    assert (frame.exposure, frame.gain, frame.saturation) == (12.5, 2.0, 50000.0)
    assert frame.date_obs.hour == 6


def test_what_amateur_acquisition_programs_write():
    """MaxIm DL / N.I.N.A. style: unit letters in the coordinates, the scale from the
    pixel size and the focal length."""
    frame = frame_from("nina.fits", np.ones((20, 20), np.float32), fits.Header({
        "IMAGETYP": "LIGHT", "OBJCTRA": "10h23m45.6s", "OBJCTDEC": "-05d30m00s",
        "XPIXSZ": 9.0, "FOCALLEN": 1000.0, "EXPTIME": 30.0}))
    assert frame.pointing.ra == pytest.approx(155.94) and frame.pointing.dec == -5.5
    assert frame.pixel_scale == pytest.approx(1.856, abs=0.001)


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "empty file"),
    (b"SIMPLE  =                    T" + b" " * 50, "not a readable FITS image"),
    (b"this is not a FITS file at all" * 100, "not a readable FITS image"),
])
def test_files_that_are_not_frames_are_refused_with_the_reason(tmp_path, content, reason):
    path = tmp_path / "bad.fits"
    path.write_bytes(content)
    with pytest.raises(FrameError, match=reason):
        load_frame(path)


def test_a_truncated_frame_is_refused(write, tmp_path):
    whole = write(request(detector=SMALL), "whole.fits").read_bytes()
    cut = tmp_path / "cut.fits"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(FrameError, match="not a readable FITS image"):
        load_frame(cut)


def test_cubes_tables_and_blank_images_are_refused(tmp_path):
    cube, table, blank = tmp_path / "cube.fits", tmp_path / "table.fits", tmp_path / "nan.fits"
    fits.PrimaryHDU(np.zeros((3, 4, 5), np.float32)).writeto(cube)
    fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns(
        [fits.Column(name="A", format="D", array=np.arange(3.0))])]).writeto(table)
    fits.PrimaryHDU(np.full((4, 4), np.nan, np.float32)).writeto(blank)
    with pytest.raises(FrameError, match="3-D, not 2-D"):
        load_frame(cube)
    with pytest.raises(FrameError, match="no 2-D image"):
        load_frame(table)
    with pytest.raises(FrameError, match="no finite pixel"):
        load_frame(blank)
    with pytest.raises(FrameError, match="cannot read"):
        load_frame(tmp_path / "missing.fits")


def test_a_gzipped_frame_is_read(write, tmp_path):
    path = write(request(detector=SMALL, kind=FrameType.BIAS, exposure=0.0), "b.fits")
    zipped = tmp_path / "b.fits.gz"
    zipped.write_bytes(gzip.compress(path.read_bytes()))
    assert load_frame(zipped).kind is FrameKind.BIAS
