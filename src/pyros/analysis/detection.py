"""Background, sources and their shape, with sep (SExtractor's algorithms as a library).

The background is a mesh of 64-pixel boxes, median-filtered 3×3 (BANZAI uses 32; our
frames are more finely sampled). Sources are the groups of at least ``min_area``
connected pixels above ``sigma`` times the local background noise, deblended; each gets
a windowed centroid, a circular-aperture flux with its error (background noise, read
noise and the source's own Poisson noise through the gain), and its half-light radius.
For a Gaussian star the FWHM is twice the half-light radius, less the pixels' share:
the light was integrated over each pixel by the detector, and is spread evenly over each
pixel again by the aperture sums, two box blurs that each add 1/12 px² to the profile's
variance (without this correction, 1.5″ stars at 0.76″ per pixel measured 13 % wide).
The frame's FWHM is the median over unsaturated, unblended, round, well-measured stars.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sep

#: Columns of a frame's source list (0-based pixel coordinates, ADU, pixels).
SOURCE_DTYPE = np.dtype([
    ("x", "f8"), ("y", "f8"), ("flux", "f8"), ("flux_err", "f8"), ("snr", "f8"),
    ("peak", "f8"), ("a", "f8"), ("b", "f8"), ("theta", "f8"), ("npix", "i4"),
    ("fwhm", "f8"), ("flags", "i4"), ("point", "?"),
    ("ra", "f8"), ("dec", "f8"), ("mag", "f8"), ("mag_err", "f8"),
])
BACKGROUND_BOX = 64
BACKGROUND_FILTER = 3
DEBLEND_CONTRAST = 0.005
#: sep flags at or above this mean a truncated or corrupted measurement.
BAD_FLAGS = 8
MAX_SOURCES = 100_000


@dataclass
class Extraction:
    sources: np.ndarray  # SOURCE_DTYPE
    aperture: float  # pixels: the radius of the fluxes, 1.5 FWHM (99.8 % of a Gaussian)


@dataclass
class Background:
    level: np.ndarray  # ADU per pixel
    noise: np.ndarray  # ADU rms per pixel
    median: float
    rms: float


class DetectionError(RuntimeError):
    pass


def background(data: np.ndarray, mask: np.ndarray) -> Background:
    """The smooth sky under the stars, and its noise, per pixel."""
    try:
        mesh = sep.Background(data, mask=mask, bw=BACKGROUND_BOX, bh=BACKGROUND_BOX,
                              fw=BACKGROUND_FILTER, fh=BACKGROUND_FILTER)
    except Exception as exc:  # sep raises plain Exceptions on degenerate images
        raise DetectionError(f"no background could be measured: {exc}") from None
    level, noise = mesh.back(), mesh.rms()
    return Background(level, noise, float(np.median(level)), float(mesh.globalrms))


def extract(data: np.ndarray, sky: Background, mask: np.ndarray, *, sigma: float,
            min_area: int, saturation: float, gain: float | None) -> Extraction:
    """The sources of an image, measured (see the module)."""
    image = np.ascontiguousarray(data - sky.level, dtype=np.float32)
    noise = np.ascontiguousarray(sky.noise, dtype=np.float32)
    sep.set_extract_pixstack(max(300_000, image.size // 4))
    sep.set_sub_object_limit(4096)
    try:
        found = sep.extract(image, sigma, err=noise, mask=mask, minarea=min_area,
                            deblend_cont=DEBLEND_CONTRAST, clean=True)
    except Exception as exc:
        raise DetectionError(f"source extraction failed: {exc}") from None
    if len(found) > MAX_SOURCES:
        raise DetectionError(f"{len(found)} sources: more than {MAX_SOURCES}, the frame is "
                             "not a field of stars (or its background is wrong)")
    sources = np.zeros(len(found), SOURCE_DTYPE)
    for column in ("ra", "dec", "mag", "mag_err"):
        sources[column] = np.nan
    if len(found) == 0:
        return Extraction(sources, math.nan)
    sources["a"], sources["b"], sources["theta"] = found["a"], found["b"], found["theta"]
    sources["npix"], sources["peak"] = found["npix"], found["peak"]
    sources["flags"] = found["flag"]
    x, y = found["x"], found["y"]
    sigma_guess = np.clip(np.sqrt(found["a"] * found["b"]), 0.5, 50.0)
    xw, yw, wflag = sep.winpos(image, x, y, sigma_guess, mask=mask)
    good = (wflag == 0) & np.isfinite(xw) & np.isfinite(yw) & \
        (np.hypot(xw - x, yw - y) < 2.0 * sigma_guess)
    sources["x"], sources["y"] = np.where(good, xw, x), np.where(good, yw, y)
    # The total flux within six sigma, not the isophotal one (which misses the wings
    # and would make wide stars look narrow).
    radius_max = np.clip(6.0 * found["a"], 4.0, 100.0)
    half, rflag = sep.flux_radius(image, sources["x"], sources["y"], radius_max, 0.5,
                                  subpix=5, mask=mask)
    sources["fwhm"] = np.where(rflag.astype(np.int32) < BAD_FLAGS, fwhm_of(half), np.nan)
    sources["flags"] |= rflag
    typical = _median_fwhm(sources, sky, saturation)
    radius = 1.5 * (typical if math.isfinite(typical) else 4.0)
    flux, flux_err, aflag = sep.sum_circle(image, sources["x"], sources["y"], radius,
                                           err=noise, mask=mask, gain=gain, subpix=5)
    sources["flux"], sources["flux_err"] = flux, flux_err
    sources["flags"] |= aflag
    with np.errstate(divide="ignore", invalid="ignore"):
        sources["snr"] = np.where(flux_err > 0, flux / flux_err, 0.0)
    sources["point"] = _point_like(sources, sky, saturation)
    return Extraction(sources, radius)


#: A Gaussian's half-light radius in sigmas, sqrt(2 ln 2), and its FWHM, 2 sqrt(2 ln 2).
HALF_LIGHT_SIGMAS = math.sqrt(2.0 * math.log(2.0))
FWHM_SIGMAS = 2.0 * HALF_LIGHT_SIGMAS
#: px²: the variance the two pixel box blurs add (see the module).
PIXEL_VARIANCE = 2.0 / 12.0


def fwhm_of(half_light_radius: np.ndarray) -> np.ndarray:
    """Pixels: the FWHM of the Gaussian star whose measured half-light radius this is."""
    variance = (np.asarray(half_light_radius) / HALF_LIGHT_SIGMAS) ** 2 - PIXEL_VARIANCE
    return FWHM_SIGMAS * np.sqrt(np.clip(variance, 0.01, None))


def _unsaturated(sources: np.ndarray, sky: Background, saturation: float) -> np.ndarray:
    return sources["peak"] < 0.8 * (saturation - sky.median)


def _median_fwhm(sources: np.ndarray, sky: Background, saturation: float) -> float:
    chosen = _unsaturated(sources, sky, saturation) & (sources["flags"] < BAD_FLAGS) & \
        np.isfinite(sources["fwhm"]) & (sources["b"] > 0.7 * sources["a"]) & \
        (sources["npix"] >= 5)
    if not chosen.any():
        return math.nan
    # The brightest half of those stands clear of the noise.
    bright = chosen & (sources["peak"] >= np.median(sources["peak"][chosen]))
    return float(np.median(sources["fwhm"][bright]))


def _point_like(sources: np.ndarray, sky: Background, saturation: float) -> np.ndarray:
    """Stars to measure the image by: unsaturated, unflagged, well above the noise, no
    wider than the stars around them (galaxies, blends and cosmic rays are not)."""
    usable = _unsaturated(sources, sky, saturation) & (sources["flags"] == 0) & \
        (sources["snr"] >= 20.0) & np.isfinite(sources["fwhm"])
    if usable.sum() < 3:
        return usable
    typical = np.median(sources["fwhm"][usable])
    return usable & (np.abs(sources["fwhm"] - typical) < 0.25 * typical)


def median_fwhm(sources: np.ndarray) -> float:
    """Pixels: the median half-light FWHM of the frame's point sources (each source's
    ``fwhm``): the size to compare sources with, not the seeing (see core_fwhm)."""
    points = sources[sources["point"]]
    return float(np.median(points["fwhm"])) if len(points) else math.nan


#: Stars whose cores are fitted: the brightest point sources, at most this many.
CORE_STARS = 200
#: The core: within this share of the FWHM of the centre (at least CORE_MIN_RADIUS px).
CORE_RADIUS = 0.5
CORE_MIN_RADIUS = 1.5
#: Widths tried per fit, from a third to twice the guess (then refined by a parabola).
WIDTHS = np.geomspace(1.0 / 3.0, 2.0, 90)


def core_fwhm(image: np.ndarray, sources: np.ndarray) -> float:
    """Pixels: the frame's FWHM, the median over its brightest point sources of a
    Gaussian fitted to each star's core (within half a FWHM of its centre), less the
    pixel's share (1/12 px² of variance); fitted twice, the second time on the core the
    first found.

    The half-light radius gives a Gaussian's FWHM exactly, but real stars have wings (a
    Moffat profile): for the β of 2.5–5 that seeing gives, twice the half-light radius
    is 14–36 % more than the FWHM, where a fit to the core is within 1 %. The core is
    chosen by radius, not by brightness: pixels chosen for being bright are the ones
    the noise pushed up, and would widen the fit.
    """
    points = sources[sources["point"]]
    if len(points) < 3:
        return math.nan
    points = points[np.argsort(points["flux"])[::-1][:CORE_STARS]]
    fwhm = float(np.median(points["fwhm"]))
    for _ in range(2):
        fwhm = _fit_cores(image, points, fwhm)
        if not math.isfinite(fwhm):
            break
    return fwhm


def _fit_cores(image: np.ndarray, points: np.ndarray, guess: float) -> float:
    radius = max(CORE_RADIUS * guess, CORE_MIN_RADIUS)
    half = math.ceil(radius) + 1
    steps = np.arange(-half, half + 1)
    ny, nx = image.shape
    cx, cy = np.rint(points["x"]).astype(int), np.rint(points["y"]).astype(int)
    inside = (cx >= half) & (cx < nx - half) & (cy >= half) & (cy < ny - half)
    if inside.sum() < 3:
        return math.nan
    points, cx, cy = points[inside], cx[inside], cy[inside]
    rows = cy[:, None, None] + steps[None, :, None]
    cols = cx[:, None, None] + steps[None, None, :]
    values = image[rows, cols].astype(np.float64).reshape(len(points), -1)
    dx = cols - points["x"][:, None, None]
    dy = rows - points["y"][:, None, None]
    r2 = (dx * dx + dy * dy).reshape(len(points), -1)
    core = r2 <= radius * radius
    sigmas = WIDTHS * guess / FWHM_SIGMAS  # (k,)
    variance = sigmas[:, None, None] ** 2 + 1.0 / 12.0  # the pixel's share, as fitted
    model = np.exp(-r2[None] / (2.0 * variance)) * core[None]  # (k, stars, pixels)
    v = np.where(core, values, 0.0)[None]
    amplitude = (model * v).sum(axis=2) / np.maximum((model * model).sum(axis=2), 1e-30)
    chi2 = ((v - amplitude[..., None] * model) ** 2).sum(axis=2)  # (k, stars)
    best = np.argmin(chi2, axis=0)
    good = (best > 0) & (best < len(sigmas) - 1) & (core.sum(axis=1) >= 4)
    if good.sum() < 3:
        return math.nan
    stars = np.flatnonzero(good)
    b = best[stars]
    left, middle, right = chi2[b - 1, stars], chi2[b, stars], chi2[b + 1, stars]
    curvature = left - 2 * middle + right
    shift = np.where(curvature > 0, 0.5 * (left - right) / np.where(curvature > 0, curvature,
                                                                    1.0), 0.0)
    log_sigma = np.log(sigmas[b]) + shift * math.log(WIDTHS[1] / WIDTHS[0])
    return float(FWHM_SIGMAS * np.median(np.exp(log_sigma)))


def median_ellipticity(sources: np.ndarray) -> float:
    """1 - b/a of the point sources (0 for round stars, trailed ones approach 1)."""
    points = sources[sources["point"] & (sources["a"] > 0)]
    return float(np.median(1.0 - points["b"] / points["a"])) if len(points) else math.nan
