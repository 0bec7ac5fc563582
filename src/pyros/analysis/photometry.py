"""From fluxes to magnitudes: the frame's zero point from the reference stars it shows,
the magnitude of every source, the faintest point source it could detect, and the sky's
brightness.

The zero point is the magnitude giving 1 ADU/s in the frame's aperture: the
sigma-clipped median, over unsaturated, isolated point sources detected at SNR ≥ 10 and
matched to one reference star within ``MATCH_RADIUS`` FWHM, of reference magnitude minus
instrumental magnitude; it includes the atmosphere's extinction at the frame's airmass.
The limiting magnitude is that of a point source whose flux in that aperture is five
times the background noise in it (the 5σ detection limit of a background-limited
image). The sky brightness, in mag/arcsec², needs the bias out of the background: a
frame calibrated without a master bias has none.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pyros.analysis.catalogues import Stars
from pyros.analysis.masters import robust_sigma

MATCH_RADIUS = 1.0  # FWHM
MIN_STARS = 3
MIN_SNR = 10.0


@dataclass(frozen=True)
class ZeroPoint:
    value: float  # mag giving 1 ADU/s
    error: float  # of the median
    stars: int


class PhotometryError(ValueError):
    pass


def match(x: np.ndarray, y: np.ndarray, ref_x: np.ndarray, ref_y: np.ndarray,
          radius: float) -> np.ndarray:
    """For each (x, y), the index of the nearest reference within ``radius`` pixels,
    else -1. Brute force by chunks: a frame has thousands of sources, not millions."""
    found = np.full(len(x), -1, dtype=np.int64)
    if len(x) == 0 or len(ref_x) == 0:
        return found
    chunk = max(1, 2_000_000 // len(ref_x))
    for start in range(0, len(x), chunk):
        part = slice(start, start + chunk)
        d2 = (x[part, None] - ref_x[None, :]) ** 2 + (y[part, None] - ref_y[None, :]) ** 2
        nearest = np.argmin(d2, axis=1)
        close = d2[np.arange(len(nearest)), nearest] <= radius**2
        found[part] = np.where(close, nearest, -1)
    return found


def instrumental(flux: np.ndarray, exposure: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(flux > 0, -2.5 * np.log10(flux / exposure), np.nan)


def zero_point(sources: np.ndarray, matched: np.ndarray, reference: Stars,
               exposure: float) -> ZeroPoint:
    """See the module; ``matched`` from :func:`match`, one index per source."""
    usable = sources["point"] & (matched >= 0) & (sources["snr"] >= MIN_SNR)
    if usable.sum() < MIN_STARS:
        raise PhotometryError(f"{int(usable.sum())} reference stars measured: a zero point "
                              f"needs {MIN_STARS}")
    offsets = reference.mag[matched[usable]] - instrumental(sources["flux"][usable], exposure)
    offsets = offsets[np.isfinite(offsets)]
    centre, spread = float(np.median(offsets)), robust_sigma(offsets)
    if spread > 0:
        offsets = offsets[np.abs(offsets - centre) <= 3.0 * spread]
        centre = float(np.median(offsets))
    error = 1.2533 * float(np.std(offsets)) / math.sqrt(len(offsets))  # of a median
    return ZeroPoint(centre, error, len(offsets))


def magnitudes(sources: np.ndarray, zp: ZeroPoint, exposure: float) -> None:
    sources["mag"] = zp.value + instrumental(sources["flux"], exposure)
    with np.errstate(divide="ignore", invalid="ignore"):
        sources["mag_err"] = np.where(sources["flux"] > 0,
                                      1.0857 * sources["flux_err"] / sources["flux"], np.nan)


#: The aperture radius, in FWHM, that gives a faint Gaussian star its best SNR.
LIMIT_APERTURE = 0.673


def limiting_magnitude(zp: ZeroPoint, background_rms: float, fwhm: float, exposure: float,
                       gain: float | None, sigma: float = 5.0) -> float:
    """The faintest point source detected at ``sigma``: measured in the aperture that
    suits faint stars best (0.673 FWHM: 72 % of a Gaussian's light), against the
    background's noise per pixel (sky and read noise, ADU) and its own photon noise
    (through the gain). The same definition as the simulator's truth, and as most
    exposure-time calculators."""
    if not (fwhm > 0 and background_rms > 0 and exposure > 0):
        return math.nan
    radius = LIMIT_APERTURE * fwhm
    pixels = math.pi * radius**2
    enclosed = 1.0 - 2.0 ** (-4.0 * LIMIT_APERTURE**2)  # 1 - exp(-r²/2σ²), r in FWHM
    k2 = sigma**2
    photon = k2 / gain if gain else 0.0
    signal = (photon + math.sqrt(photon**2 + 4.0 * k2 * pixels * background_rms**2)) / 2.0
    return zp.value - 2.5 * math.log10(signal / enclosed / exposure)


def sky_brightness(zp: ZeroPoint, sky_adu: float, exposure: float,
                   pixel_scale: float) -> float:
    """mag/arcsec² of a bias-free background level (ADU per pixel)."""
    if sky_adu <= 0:
        return math.nan
    return zp.value - 2.5 * math.log10(sky_adu / exposure / pixel_scale**2)
