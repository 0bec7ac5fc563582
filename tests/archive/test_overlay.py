"""Sources placed over a preview: the binning and the flip of ``stretch`` undone, checked
against the preview that stretch actually makes; ra, dec through a WCS when a
catalogue has no pixels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from pyros.archive.overlay import MAX_CIRCLES, Geometry, OverlayError, geometry_of, read_overlay
from pyros.instruments.previews import stretch


def write_catalogue(path: Path, **columns: list[float]) -> Path:
    table = fits.BinTableHDU.from_columns(
        [fits.Column(name.upper(), "D", array=values) for name, values in columns.items()],
        name="CAT")
    fits.HDUList([fits.PrimaryHDU(), table]).writeto(path)
    return path


@pytest.mark.parametrize(("shape", "factor", "size"), [
    ((256, 256), 1, (256, 256)), ((2048, 2048), 2, (1024, 1024)),
    ((700, 1030), 2, (515, 350)), ((4096, 6144), 6, (1024, 682)), ((3, 5000), 5, (1000, 0))])
def test_the_geometry_is_the_one_stretch_makes(shape, factor, size):
    height, width = shape
    geometry = Geometry.of(width, height)
    assert (geometry.factor, geometry.width, geometry.height) == (factor, *size)
    if height >= factor:
        preview = stretch(np.zeros(shape, np.float32), 1024)
        assert preview.shape == (geometry.height, geometry.width)


def test_a_star_lands_on_its_preview_pixel():
    """A bright block in the frame is where the circle goes in stretch's preview."""
    height, width = 1300, 2100  # binned by 3, with a remainder to crop
    pixels = np.random.default_rng(1).normal(100.0, 3.0, (height, width))
    pixels[900:906, 1500:1506] += 10000.0  # centre x 1502.5, y 902.5 (0-based)
    preview = stretch(pixels, 1024)
    geometry = Geometry.of(width, height)
    cx, cy = geometry.place(1502.5, 902.5)
    row, column = np.unravel_index(np.argmax(preview), preview.shape)
    assert abs(column + 0.5 - cx) <= 1.0 and abs(row + 0.5 - cy) <= 1.0


def test_a_point_in_the_cropped_rows_is_left_out():
    geometry = Geometry.of(1031, 700)  # factor 2: column 1030 is dropped
    assert geometry.place(1030.4, 10.0) is None
    assert geometry.place(1029.4, 10.0) is not None
    assert geometry.place(-3.0, 10.0) is None
    assert geometry.place(0.0, 0.0) == (0.25, 349.75)


def test_circles_from_pixels_brightest_first_and_sized_by_the_ellipse(tmp_path):
    path = write_catalogue(tmp_path / "cat.fits", x=[10.0, 100.0, np.nan, 5000.0],
                           y=[20.0, 200.0, 3.0, 1.0], flux=[5.0, 50.0, 9.0, 99.0],
                           a=[1.0, 4.0, 1.0, 1.0])
    overlay = read_overlay(path, Geometry.of(256, 256), {})
    assert overlay is not None and overlay.total == 4 and overlay.source == "cat.fits"
    assert overlay.circles == ((100.5, 55.5, 12.0), (10.5, 235.5, 3.0))  # NaN, off: out


def test_at_most_so_many_circles(tmp_path):
    count = MAX_CIRCLES + 10
    rng = np.random.default_rng(2)
    path = write_catalogue(tmp_path / "many.fits", x=list(rng.uniform(0, 255, count)),
                           y=list(rng.uniform(0, 255, count)), flux=list(range(count)))
    overlay = read_overlay(path, Geometry.of(256, 256), {})
    assert len(overlay.circles) == MAX_CIRCLES and overlay.truncated


def test_ra_dec_only_go_through_the_frames_wcs(tmp_path):
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [10.0, 41.0]
    wcs.wcs.crpix = [128.5, 128.5]
    wcs.wcs.cdelt = [-0.001, 0.001]
    headers = {"NAXIS1": 256, "NAXIS2": 256, **dict(wcs.to_header())}
    ra, dec = wcs.all_pix2world([[60.0, 70.0]], 0)[0]
    path = write_catalogue(tmp_path / "sky.fits", ra=[float(ra)], dec=[float(dec)])
    overlay = read_overlay(path, geometry_of(headers), headers)
    (cx, cy, _), = overlay.circles
    assert cx == pytest.approx(60.5, abs=0.01) and cy == pytest.approx(256 - 70.5, abs=0.01)
    assert read_overlay(path, geometry_of(headers), {"NAXIS1": 256}) is None  # no WCS


def test_files_without_a_catalogue_or_unreadable(tmp_path):
    plain = tmp_path / "plain.fits"
    fits.PrimaryHDU(np.zeros((4, 4))).writeto(plain)
    assert read_overlay(plain, Geometry.of(4, 4), {}) is None
    broken = tmp_path / "broken.fits"
    broken.write_bytes(b"SIMPLE  = nonsense")
    with pytest.raises(OverlayError):
        read_overlay(broken, Geometry.of(4, 4), {})
    assert geometry_of({"NAXIS1": 10}) is None and geometry_of({"NAXIS1": 0, "NAXIS2": 3}) \
        is None
