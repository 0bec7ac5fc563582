"""The frame's FWHM on stars that are not Gaussian: real seeing has wings (a Moffat
profile), and the FWHM people measure is the core's width."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pyros.analysis import detection


def moffat_field(fwhm: float, beta: float, *, seed: int = 1, size: int = 512,
                 stars: int = 60, sky: float = 200.0) -> np.ndarray:
    """Moffat stars integrated over each pixel (5×5 sub-pixels), on a flat sky with
    Poisson noise and a read noise of 5."""
    rng = np.random.default_rng(seed)
    alpha = fwhm / (2.0 * math.sqrt(2.0 ** (1.0 / beta) - 1.0))
    image = np.full((size, size), sky)
    sub = (np.arange(5) - 2) / 5.0
    half = int(6 * fwhm)
    grid = np.arange(-half, half + 1)
    for _ in range(stars):
        x0, y0 = rng.uniform(half + 2, size - half - 2, 2)
        flux = 10 ** rng.uniform(4.0, 5.5)
        cx, cy = int(x0), int(y0)
        xs = (cx + grid)[None, :, None, None] + sub[None, None, None, :] - x0
        ys = (cy + grid)[:, None, None, None] + sub[None, None, :, None] - y0
        profile = (1.0 + (xs * xs + ys * ys) / alpha**2) ** -beta
        stamp = profile.mean(axis=(2, 3))
        norm = (beta - 1.0) / (math.pi * alpha**2)
        image[cy - half:cy + half + 1, cx - half:cx + half + 1] += flux * norm * stamp
    return rng.poisson(image).astype(np.float32) + rng.normal(0, 5, image.shape)


@pytest.mark.parametrize("beta", [2.5, 4.0, 10.0])
@pytest.mark.parametrize("fwhm", [2.5, 4.0, 6.0])
def test_the_fwhm_of_moffat_stars_is_their_cores(fwhm, beta):
    data = moffat_field(fwhm, beta).astype(np.float32)
    mask = np.zeros(data.shape, bool)
    sky = detection.background(data, mask)
    found = detection.extract(data, sky, mask, sigma=5.0, min_area=5, saturation=1e9,
                              gain=1.0)
    measured = detection.core_fwhm(data - sky.level, found.sources)
    assert measured == pytest.approx(fwhm, rel=0.05)
    # Twice the half-light radius is what the wings make of it: wider the lower beta.
    if beta < 5:
        assert detection.median_fwhm(found.sources) > 1.1 * fwhm
