"""Camera previews: small, stretched so that the sky is dark and stars show, north up,
written atomically, and refused for what is not an image."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits
from PIL import Image

from pyros.instruments.previews import PreviewError, preview_path, stretch, write_preview


def sky_with_a_star(height: int = 1500, width: int = 2000) -> np.ndarray:
    rng = np.random.default_rng(1)
    pixels = rng.normal(1000.0, 10.0, (height, width)).astype(np.float32)
    pixels[20:40, 1000:1020] = 30_000.0  # a bright star near the bottom (FITS row 0)
    return pixels


def test_stretch_bins_clips_and_puts_north_up():
    image = stretch(sky_with_a_star())
    assert image.dtype == np.uint8 and image.shape == (375, 500)  # binned 4 x 4
    assert image[-10:-5, 250:255].min() == 255  # the star, at the bottom of the preview
    assert image[5:10, 250:255].max() < 255  # and not at the top
    sky = np.median(image)
    assert 10 < sky < 128  # dark grey sky, noise visible, not a grey field


def test_a_uniform_frame_is_black_not_an_error():
    assert stretch(np.full((64, 64), 7.0)).max() == 0


def test_write_preview_from_a_fits_file(tmp_path):
    source = tmp_path / "frame.fits"
    fits.PrimaryHDU(data=sky_with_a_star().astype(np.uint16)).writeto(source)
    png = write_preview(source, tmp_path / "previews" / "VIS.png")
    with Image.open(png) as image:
        assert (image.format, image.mode, image.size) == ("PNG", "L", (500, 375))
    assert [p.name for p in png.parent.iterdir()] == ["VIS.png"]  # no partial file left


def test_what_is_not_an_image_is_refused(tmp_path):
    table = tmp_path / "table.fits"
    fits.PrimaryHDU().writeto(table)
    with pytest.raises(PreviewError, match="no image in the file"):
        write_preview(table, tmp_path / "x.png")
    with pytest.raises(PreviewError, match="cannot read the image"):
        write_preview(tmp_path / "missing.fits", tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("name", ["../etc", "a/b", "", ".hidden"])
def test_preview_paths_stay_in_their_folder(name, tmp_path, monkeypatch):
    monkeypatch.setenv("PYROS_HOME", str(tmp_path))
    assert preview_path("VIS") == tmp_path / "previews" / "VIS.png"
    with pytest.raises(ValueError, match="not a usable channel name"):
        preview_path(name)
