"""The images a simulated camera returns: a synthetic sky seen through a CCD.

A frame is described by a :class:`FrameRequest` (frozen) and rendered by
:func:`render_frame` into a FITS ``HDUList`` whose header carries a TAN WCS, so that
pipelines downstream (astrometry, photometry, focus, flats) can run on it unchanged.

What is simulated, in the order light meets it:

* **Stars** from a deterministic all-sky catalogue (:func:`stars_near`): the sky is cut
  into ~1 degree tiles, each with its own seed, so a region always holds the same stars
  whatever the pointing and overlapping frames share them. Counts grow as 10^(0.3 m) up
  to magnitude 20; positions are uniform on the sphere. One magnitude per star, turned
  into electrons by the filter's zero point, extinction and the exposure time.
* **Transients** (``FrameRequest.transients``, :mod:`pyros.simulators.transients`): point
  sources drawn like the stars, at their magnitude over the exposure (their light curve
  at mid-exposure; nothing before they light up).
* **Sky background** (:func:`sky_background`, e-/s/px): the filter's dark-sky brightness
  (brighter with airmass), plus moonlight after Krisciunas & Schaefer (1991), plus
  twilight while the sun is between 0 and -18 degrees. A FLAT pointed at the sky is that
  twilight (so its exposure must follow the sun); one without a pointing is a lamp set
  for ``FLAT_LEVEL``.
* **Detector**: dark current doubling every few degrees of CCD temperature, Poisson noise
  on every electron, Gaussian read noise, a bias level, on-chip binning, a readout
  window, and a 16-bit converter that saturates at 65535 ADU.

Pixels are ``uint16``, as real cameras deliver them; astropy stores them as BITPIX 16
with BZERO 32768. Positions in this module are 0-based pixel coordinates with pixel
centres on integers (the FITS pixel is this + 1); images are numpy arrays ``[y, x]``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import TypeVar

import numpy as np
from astropy import units as u
from astropy.coordinates import AltAz, SkyCoord, get_body, get_sun
from astropy.io import fits
from astropy.time import Time

from pyros import astro
from pyros.config.schema import Channel, Site
from pyros.devices.interfaces import FrameType, Region
from pyros.simulators.transients import Transient

ADC_MAX = 65535  # ADU: a 16-bit converter
FLAT_LEVEL = 30_000.0  # ADU at the centre of a flat, bias included
VIGNETTING = 0.08  # fraction of light lost in the corners of a flat or a light frame
FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))
MAX_FIELD = 20.0  # degrees of detector diagonal: wider, the catalogue would fill the memory

Coordinate = TypeVar("Coordinate", float, np.ndarray)


# --- What a frame is made of ------------------------------------------------------------


@dataclass(frozen=True)
class Detector:
    """The CCD and its electronics. Defaults are those of a typical cooled science CCD."""

    width: int  # unbinned pixels
    height: int
    pixel_scale: float  # arcseconds per unbinned pixel
    gain: float = 1.5  # electrons per ADU
    read_noise: float = 8.0  # electrons rms
    bias_level: float = 1000.0  # ADU
    dark_current: float = 0.02  # e-/s/px at the reference temperature
    dark_reference_temperature: float = -20.0  # Celsius
    dark_doubling: float = 6.3  # Celsius: the dark current doubles every this many degrees

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"detector size {self.width}x{self.height} must be positive")
        if self.pixel_scale <= 0 or self.gain <= 0 or self.dark_doubling <= 0:
            raise ValueError("detector pixel_scale, gain and dark_doubling must be positive")
        if self.field_diagonal > MAX_FIELD:
            raise ValueError(f"the detector sees {self.field_diagonal:.1f} degrees across: the "
                             f"simulated sky renders fields up to {MAX_FIELD:.0f} degrees")
        if self.read_noise < 0 or self.dark_current < 0:
            raise ValueError("detector read_noise and dark_current must not be negative")

    @classmethod
    def from_channel(cls, channel: Channel, **electronics: float) -> Detector:
        """The detector of a configured channel; ``electronics`` overrides gain, noise..."""
        return cls(width=channel.width, height=channel.height,
                   pixel_scale=channel.pixel_scale, **electronics)

    @property
    def field_diagonal(self) -> float:
        """Degrees of sky across the detector's diagonal."""
        return math.hypot(self.width, self.height) * self.pixel_scale / 3600.0

    def dark_rate(self, temperature: float) -> float:
        """Dark current in e-/s/px at a CCD temperature in Celsius (thermal, so it grows
        exponentially: warm cameras make bright darks)."""
        doublings = (temperature - self.dark_reference_temperature) / self.dark_doubling
        return self.dark_current * 2.0**doublings


@dataclass(frozen=True)
class SkyConditions:
    """What the sky background and the airmass depend on, all in degrees (illumination:
    the lit fraction of the moon's disc, 0 new to 1 full). Pass one to a FrameRequest to
    choose the conditions; leave it out to have them computed from time and site."""

    sun_altitude: float
    moon_altitude: float
    moon_illumination: float
    moon_separation: float  # from the pointing
    target_altitude: float  # of the pointing


@dataclass(frozen=True)
class FrameRequest:
    """Everything one exposure depends on; the same request always gives the same pixels.

    ``time`` is the UTC start of the exposure (timezone-aware); ``ra``/``dec`` the ICRS
    pointing in degrees, required for LIGHT frames and used by FLATs for their WCS.
    ``seed`` drives the noise only: the stars come from the sky position."""

    frame_type: FrameType
    exposure: float  # seconds
    detector: Detector
    time: datetime
    site: Site
    ra: float | None = None
    dec: float | None = None
    filter_name: str = "Clear"
    binning: int = 1
    region: Region | None = None
    seeing: float = 1.5  # arcseconds FWHM
    ccd_temperature: float = -20.0  # Celsius
    conditions: SkyConditions | None = None
    telescope: str = ""
    instrument: str = ""
    object_name: str = ""
    seed: int = 0
    transients: tuple[Transient, ...] = ()  # shown on LIGHT frames, like catalogue stars

    def __post_init__(self) -> None:
        if self.exposure < 0:
            raise ValueError(f"exposure {self.exposure} s must not be negative")
        if self.time.tzinfo is None:
            raise ValueError("the frame time must be timezone-aware (UTC)")
        if not 1 <= self.binning <= 4:
            raise ValueError(f"binning {self.binning} outside 1..4")
        if self.seeing <= 0:
            raise ValueError(f"seeing {self.seeing} arcsec must be positive")
        if (self.ra is None) != (self.dec is None):
            raise ValueError("give both ra and dec, or neither")
        if self.frame_type is FrameType.LIGHT and self.ra is None:
            raise ValueError("a LIGHT frame needs a pointing (ra, dec)")
        if self.dec is not None and not -90.0 <= self.dec <= 90.0:
            raise ValueError(f"dec {self.dec} outside -90..90 degrees")
        if not all(isinstance(t, Transient) for t in self.transients):
            raise ValueError("transients must be a tuple of Transient")
        self._check_region()

    def _check_region(self) -> None:
        r, d = self.region, self.detector
        if r is None:
            return
        if r.x < 0 or r.y < 0 or r.x + r.width > d.width or r.y + r.height > d.height:
            raise ValueError(f"region {r} is not inside the {d.width}x{d.height} detector")
        if r.width < self.binning or r.height < self.binning:
            raise ValueError(f"region {r} is smaller than one {self.binning}x binned pixel")

    @property
    def has_sky(self) -> bool:
        """Whether the frame sees the sky through the telescope (and so has a WCS)."""
        return self.ra is not None and self.frame_type in (FrameType.LIGHT, FrameType.FLAT)


# --- Filters -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    """How a filter sees the sky. ``zero_point``: the magnitude giving 1 e-/s through
    this telescope and filter; ``dark_sky``: moonless zenith sky, mag/arcsec^2;
    ``extinction``: mag per airmass; ``moon_colour``: moonlight relative to V (scattered
    sunlight is blue, so it fades towards the infrared where airglow dominates)."""

    zero_point: float
    dark_sky: float
    extinction: float
    moon_colour: float


BANDS = MappingProxyType({
    "Clear": Band(25.6, 21.2, 0.15, 1.0),
    "g": Band(25.0, 22.0, 0.18, 1.4),
    "r": Band(25.0, 21.1, 0.10, 1.0),
    "i": Band(24.7, 20.3, 0.06, 0.7),
    "z": Band(24.0, 19.2, 0.05, 0.5),
    "First infrared filter": Band(23.5, 17.5, 0.05, 0.4),
    "J": Band(23.8, 15.8, 0.10, 0.3),
    "H": Band(23.9, 13.8, 0.06, 0.2),
})
DEFAULT_BAND = Band(24.5, 21.0, 0.12, 1.0)


def band(filter_name: str) -> Band:
    """The band of a filter; an unknown filter behaves like a broad visible one."""
    return BANDS.get(filter_name, DEFAULT_BAND)


# --- The star catalogue -----------------------------------------------------------------

STAR_FIELD_SEED = 20_260_421  # changing it gives another sky
TILE_SIZE = 1.0  # degrees: height of a declination band, ~width of a tile
BRIGHTEST, FAINTEST = 5.0, 20.0  # magnitudes of the catalogue
STARS_PER_DEG2 = 5000.0  # brighter than FAINTEST; the counts grow as 10^(0.3 m)
COUNT_SLOPE = 0.3
_BANDS_COUNT = round(180.0 / TILE_SIZE)


@dataclass(frozen=True)
class Stars:
    """Catalogue stars: ICRS degrees and magnitudes, as parallel read-only arrays."""

    ra: np.ndarray
    dec: np.ndarray
    magnitude: np.ndarray

    def __len__(self) -> int:
        return len(self.ra)


def _cells_in_band(band_index: int) -> int:
    """RA cells of a declination band, so that tiles stay ~TILE_SIZE wide to the poles."""
    middle = math.radians(-90.0 + (band_index + 0.5) * TILE_SIZE)
    return max(1, math.ceil(360.0 / TILE_SIZE * math.cos(middle)))


@functools.lru_cache(maxsize=128)  # ~15 MB; a frame of a degree or less needs <= 4
def _tile(band_index: int, cell: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The stars of one tile, from a seed that depends only on the tile."""
    rng = np.random.default_rng((STAR_FIELD_SEED, band_index, cell))
    width = 360.0 / _cells_in_band(band_index)
    dec0 = math.radians(-90.0 + band_index * TILE_SIZE)
    dec1 = math.radians(min(90.0, -90.0 + (band_index + 1) * TILE_SIZE))
    area = math.radians(width) * (math.sin(dec1) - math.sin(dec0))  # steradians
    count = rng.poisson(STARS_PER_DEG2 * area * (180.0 / math.pi) ** 2)
    ra = cell * width + width * rng.random(count)
    dec = np.degrees(np.arcsin(rng.uniform(math.sin(dec0), math.sin(dec1), count)))
    # Inverse of the cumulative count 10^(0.3 m) between BRIGHTEST and FAINTEST.
    floor = 10.0 ** (COUNT_SLOPE * (BRIGHTEST - FAINTEST))
    magnitude = FAINTEST + np.log10(floor + (1.0 - floor) * rng.random(count)) / COUNT_SLOPE
    for array in (ra, dec, magnitude):
        array.flags.writeable = False
    return ra, dec, magnitude


def _tiles_near(ra: float, dec: float, radius: float) -> list[tuple[int, int]]:
    """Every tile that may hold a star within ``radius`` degrees of (ra, dec)."""
    low, high = max(-90.0, dec - radius), min(90.0, dec + radius)
    first = int((low + 90.0) // TILE_SIZE)
    last = min(_BANDS_COUNT - 1, int((high + 90.0) // TILE_SIZE))
    sin_radius = math.sin(math.radians(min(radius, 90.0)))
    cos_dec = math.cos(math.radians(dec))
    tiles = []
    for band_index in range(first, last + 1):
        cells = _cells_in_band(band_index)
        if high >= 90.0 or low <= -90.0 or radius >= 90.0 or sin_radius >= cos_dec:
            tiles += [(band_index, c) for c in range(cells)]
            continue
        half = math.degrees(math.asin(sin_radius / cos_dec))  # widest RA extent of the cone
        width = 360.0 / cells
        start, stop = math.floor((ra - half) / width), math.floor((ra + half) / width)
        tiles += [(band_index, c % cells) for c in range(start, stop + 1)][:cells]
    return tiles


def stars_near(ra: float, dec: float, radius: float) -> Stars:
    """The catalogue stars within ``radius`` degrees of an ICRS position (degrees)."""
    parts = [_tile(b, c) for b, c in _tiles_near(ra, dec, radius)]
    ras, decs, mags = (np.concatenate([p[i] for p in parts]) for i in range(3))
    inside = _separation(ra, dec, ras, decs) <= radius
    return Stars(ras[inside], decs[inside], mags[inside])


def _separation(ra: float, dec: float, ras: np.ndarray, decs: np.ndarray) -> np.ndarray:
    """Angular distances in degrees (haversine: exact at small separations)."""
    d0, d1 = math.radians(dec), np.radians(decs)
    h = (np.sin((d1 - d0) / 2) ** 2
         + math.cos(d0) * np.cos(d1) * np.sin(np.radians(ras - ra) / 2) ** 2)
    return np.degrees(2 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


def _gnomonic(ra: float, dec: float, ras: np.ndarray,
              decs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standard coordinates (xi east, eta north, degrees) on the plane tangent at
    (ra, dec): the TAN projection of the WCS, done here so that the WCS checks it."""
    d0, d, da = math.radians(dec), np.radians(decs), np.radians(ras - ra)
    cos_c = math.sin(d0) * np.sin(d) + math.cos(d0) * np.cos(d) * np.cos(da)
    xi = np.cos(d) * np.sin(da) / cos_c
    eta = (math.cos(d0) * np.sin(d) - math.sin(d0) * np.cos(d) * np.cos(da)) / cos_c
    return np.degrees(xi), np.degrees(eta)


# --- Sky brightness ----------------------------------------------------------------------

# Brightening of the sky in magnitudes by solar altitude in degrees: none at
# astronomical night (-18), about 1 mag per degree in nautical and civil twilight.
_TWILIGHT_ALTITUDES = (-18.0, -15.0, -12.0, -9.0, -6.0, 0.0)
_TWILIGHT_BRIGHTENING = (0.0, 0.6, 2.5, 5.5, 8.5, 15.0)


def airmass(altitude: float) -> float:
    """Kasten & Young (1989): finite at the horizon, where sec(z) is not."""
    h = max(0.0, altitude)
    return 1.0 / (math.sin(math.radians(h)) + 0.50572 * (h + 6.07995) ** -1.6364)


def _moon_to_dark_ratio(conditions: SkyConditions) -> float:
    """Moonlit over dark sky brightness in V at the pointing, after Krisciunas & Schaefer
    (1991), PASP 103, 1033: Rayleigh and Mie scattering of the moon's light."""
    if conditions.moon_altitude <= 0.0 or conditions.moon_illumination <= 0.0:
        return 0.0
    k = 0.172  # V extinction the model was fitted with

    def scattering_airmass(altitude: float) -> float:
        return (1.0 - 0.96 * math.cos(math.radians(max(altitude, 0.0))) ** 2) ** -0.5

    phase = math.degrees(math.acos(2.0 * min(conditions.moon_illumination, 1.0) - 1.0))
    moon_brightness = 10.0 ** (-0.4 * (3.84 + 0.026 * phase + 4e-9 * phase**4))
    rho = conditions.moon_separation
    scattering = (10.0**5.36 * (1.06 + math.cos(math.radians(rho)) ** 2)
                  + 10.0 ** (6.15 - rho / 40.0))
    x_moon = scattering_airmass(conditions.moon_altitude)
    x_target = scattering_airmass(conditions.target_altitude)
    moon = (scattering * moon_brightness * 10.0 ** (-0.4 * k * x_moon)
            * (1.0 - 10.0 ** (-0.4 * k * x_target)))  # nanoLamberts
    dark = 34.08 * math.exp(20.7233 - 0.92104 * 21.587)  # KS91's dark V zenith sky, nL
    return moon / dark


def sky_background(filter_name: str, pixel_scale: float, conditions: SkyConditions) -> float:
    """Sky background in e-/s per unbinned pixel of ``pixel_scale`` arcsec.

    The dark sky brightens with airmass (more air glows) and dims with extinction; the
    moon adds light scattered towards the pointing; twilight adds the sun's."""
    b = band(filter_name)
    x = airmass(conditions.target_altitude)
    dark = 10.0 ** (-0.4 * (b.dark_sky - b.zero_point)) * pixel_scale**2
    dark_here = dark * x * 10.0 ** (-0.4 * b.extinction * (x - 1.0))
    moon = dark * b.moon_colour * _moon_to_dark_ratio(conditions)
    sun = min(max(conditions.sun_altitude, -18.0), 0.0)
    twilight = dark * (10.0 ** (0.4 * np.interp(sun, _TWILIGHT_ALTITUDES,
                                                _TWILIGHT_BRIGHTENING)) - 1.0)
    return float(dark_here + moon + twilight)


def sky_conditions(site: Site, time: datetime, ra: float, dec: float) -> SkyConditions:
    """Sun, moon and pointing as seen from the site at ``time`` (astropy's built-in
    ephemerides and bundled IERS tables: no network)."""
    when = Time(time)
    frame = AltAz(obstime=when, location=astro.location(site.latitude, site.longitude,
                                                        site.elevation))
    sun = get_sun(when)
    moon = get_body("moon", when)  # geocentric; the AltAz transform adds the parallax
    elongation = sun.separation(moon).rad
    phase = math.atan2(sun.distance.au * math.sin(elongation),
                       moon.distance.au - sun.distance.au * math.cos(elongation))
    moon_here = moon.transform_to(frame)
    target = SkyCoord(ra * u.deg, dec * u.deg, frame="icrs").transform_to(frame)
    return SkyConditions(
        sun_altitude=float(sun.transform_to(frame).alt.deg),
        moon_altitude=float(moon_here.alt.deg),
        moon_illumination=(1.0 + math.cos(phase)) / 2.0,
        moon_separation=float(moon_here.separation(target).deg),
        target_altitude=float(target.alt.deg),
    )


# --- Rendering ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Readout:
    """Where the image lies on the detector: window origin (unbinned) and binned size."""

    x0: int
    y0: int
    nx: int
    ny: int
    binning: int

    @classmethod
    def of(cls, frame: FrameRequest) -> _Readout:
        d, n = frame.detector, frame.binning
        r = frame.region or Region(0, 0, d.width, d.height)
        return cls(r.x, r.y, r.width // n, r.height // n, n)

    def to_image(self, x: Coordinate, y: Coordinate) -> tuple[Coordinate, Coordinate]:
        """Unbinned detector coordinates to image coordinates: a binned pixel's centre
        is the mean of the centres of the pixels it sums."""
        n = self.binning
        return (x - self.x0 - (n - 1) / 2) / n, (y - self.y0 - (n - 1) / 2) / n

    def optical_axis(self, detector: Detector) -> tuple[float, float]:
        """The detector's centre, where the pointing falls, in image coordinates."""
        return self.to_image((detector.width - 1) / 2, (detector.height - 1) / 2)

    def detector_radius(self, detector: Detector) -> np.ndarray:
        """Each image pixel's distance to the detector centre, over the half-diagonal."""
        n = self.binning
        u = self.x0 + np.arange(self.nx) * n + (n - 1) / 2 - (detector.width - 1) / 2
        v = self.y0 + np.arange(self.ny) * n + (n - 1) / 2 - (detector.height - 1) / 2
        return np.hypot(v[:, None], u[None, :]) / math.hypot(detector.width / 2,
                                                             detector.height / 2)


def _erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz & Stegun 7.1.26, |error| < 1.5e-7: numpy has no erf, scipy is not a
    dependency, and this is far below the Poisson noise of any star."""
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741
                + t * (-1.453152027 + t * 1.061405429))))
    return np.sign(x) * (1.0 - poly * np.exp(-a * a))


def _pixel_fractions(offsets: np.ndarray, steps: np.ndarray, sigma: float) -> np.ndarray:
    """Fraction of a 1-D Gaussian falling in each pixel of a stamp (integrated over the
    pixel, so undersampled stars keep their flux and their centroid)."""
    edges = steps[None, :] - 0.5 - offsets[:, None]
    edges = np.concatenate([edges, edges[:, -1:] + 1.0], axis=1)
    return np.diff(0.5 * _erf(edges / (math.sqrt(2.0) * sigma)), axis=1)


def _add_stars(image: np.ndarray, x: np.ndarray, y: np.ndarray, flux: np.ndarray,
               sigma: float) -> None:
    """Add Gaussian stars (electrons) in small stamps, many stars per numpy call."""
    ny, nx = image.shape
    radius = max(2, math.ceil(7.0 * sigma))  # the wing beyond holds < 1e-11 of the flux
    steps = np.arange(-radius, radius + 1)
    chunk = max(1, 1_000_000 // steps.size**2)  # bounds the memory of the stamps
    for start in range(0, len(x), chunk):
        part = slice(start, start + chunk)
        cx, cy = np.rint(x[part]).astype(int), np.rint(y[part]).astype(int)
        fx = _pixel_fractions(x[part] - cx, steps, sigma)
        fy = _pixel_fractions(y[part] - cy, steps, sigma)
        cols, rows = cx[:, None] + steps, cy[:, None] + steps
        inside = (((rows >= 0) & (rows < ny))[:, :, None]
                  & ((cols >= 0) & (cols < nx))[:, None, :])
        values = flux[part, None, None] * fy[:, :, None] * fx[:, None, :]
        index = rows[:, :, None] * nx + cols[:, None, :]
        image += np.bincount(index[inside], weights=values[inside],
                             minlength=nx * ny).reshape(ny, nx)


@dataclass(frozen=True)
class FieldSources:
    """The point sources a LIGHT frame renders, as parallel arrays: ICRS degrees,
    0-based image coordinates, catalogue magnitudes, electrons in the exposure (through
    the atmosphere, before vignetting), and whether each is a transient."""

    ra: np.ndarray
    dec: np.ndarray
    x: np.ndarray
    y: np.ndarray
    magnitude: np.ndarray
    electrons: np.ndarray
    transient: np.ndarray
    sigma: float  # of the Gaussian PSF, image pixels


def psf_sigma(frame: FrameRequest) -> float:
    """The seeing's Gaussian sigma in image pixels (binned)."""
    return frame.seeing / FWHM_PER_SIGMA / (frame.detector.pixel_scale * frame.binning)


def field_sources(frame: FrameRequest, target_altitude: float) -> FieldSources:
    """The catalogue stars and the transients whose light may fall on the image (centres
    up to 7 sigma beyond its edges), each turned into electrons by the filter's zero
    point, the extinction at ``target_altitude`` and the exposure time. A transient
    counts for its magnitude over the exposure (Transient.exposure_magnitude)."""
    readout, d = _Readout.of(frame), frame.detector
    sigma = psf_sigma(frame)
    margin = 8.0 * sigma * d.pixel_scale * frame.binning / 3600.0
    radius = d.field_diagonal / 2 + margin
    stars = stars_near(frame.ra, frame.dec, radius)
    t_ra = np.array([t.ra for t in frame.transients], dtype=float)
    t_dec = np.array([t.dec for t in frame.transients], dtype=float)
    t_mag = np.array([t.exposure_magnitude(frame.time, frame.exposure)
                      for t in frame.transients], dtype=float)
    near = _separation(frame.ra, frame.dec, t_ra, t_dec) <= radius  # not behind the sky
    ra = np.concatenate([stars.ra, t_ra[near]])
    dec = np.concatenate([stars.dec, t_dec[near]])
    magnitude = np.concatenate([stars.magnitude, t_mag[near]])
    transient = np.concatenate([np.zeros(len(stars), bool), np.ones(int(near.sum()), bool)])
    xi, eta = _gnomonic(frame.ra, frame.dec, ra, dec)
    scale = d.pixel_scale / 3600.0
    x, y = readout.to_image((d.width - 1) / 2 - xi / scale, (d.height - 1) / 2 + eta / scale)
    pad = 7.0 * sigma + 1.0
    keep = (x > -pad) & (x < readout.nx - 1 + pad) & (y > -pad) & (y < readout.ny - 1 + pad)
    b = band(frame.filter_name)
    observed = magnitude[keep] + b.extinction * airmass(target_altitude)
    with np.errstate(over="ignore"):  # a transient not yet lit: infinite magnitude, no light
        electrons = frame.exposure * 10.0 ** (-0.4 * (observed - b.zero_point))
    return FieldSources(ra[keep], dec[keep], x[keep], y[keep], magnitude[keep], electrons,
                        transient[keep], sigma)


def vignetting_at(frame: FrameRequest, x: Coordinate, y: Coordinate) -> Coordinate:
    """The fraction of light that reaches image position (x, y), 0-based: what the
    vignetting leaves of a star there (evaluated at its centre)."""
    readout, d, n = _Readout.of(frame), frame.detector, frame.binning
    u = readout.x0 + x * n + (n - 1) / 2 - (d.width - 1) / 2
    v = readout.y0 + y * n + (n - 1) / 2 - (d.height - 1) / 2
    radius2 = (u**2 + v**2) / math.hypot(d.width / 2, d.height / 2) ** 2
    return 1.0 - VIGNETTING * radius2


def _star_electrons(frame: FrameRequest, readout: _Readout, target_altitude: float,
                    vignetting: np.ndarray) -> np.ndarray:
    """The stars (and transients) of the field in electrons per image pixel."""
    sources = field_sources(frame, target_altitude)
    image = np.zeros((readout.ny, readout.nx))
    lit = sources.electrons > 0
    _add_stars(image, sources.x[lit], sources.y[lit], sources.electrons[lit], sources.sigma)
    return image * vignetting


def expected_electrons(frame: FrameRequest,
                       conditions: SkyConditions | None = None) -> np.ndarray:
    """The mean electrons in each image pixel, before any noise: what an exposure time
    calculator or a test compares a rendered frame with. ``conditions`` are needed for
    LIGHT frames (:func:`sky_conditions` computes them); a FLAT with them is the twilight
    sky, without them a lamp."""
    readout = _Readout.of(frame)
    d, n = frame.detector, readout.binning
    dark = d.dark_rate(frame.ccd_temperature) * frame.exposure * n * n
    shape = (readout.ny, readout.nx)
    if frame.frame_type is FrameType.BIAS:
        return np.zeros(shape)
    if frame.frame_type is FrameType.DARK:
        return np.full(shape, dark)
    vignetting = 1.0 - VIGNETTING * readout.detector_radius(d) ** 2
    flat = frame.frame_type is FrameType.FLAT
    if flat and conditions is None:  # a lamp, set for the level a flat routine aims at
        level = max(0.0, FLAT_LEVEL - d.bias_level) * d.gain
        return level * vignetting + dark
    if conditions is None:
        raise ValueError("a LIGHT frame needs sky conditions (see sky_conditions)")
    # The sky, as bright as the sun, the moon and the airmass make it; a flat on the sky
    # is that alone, twilight and all.
    sky = sky_background(frame.filter_name, d.pixel_scale, conditions) * frame.exposure
    electrons = sky * n * n * vignetting + dark
    if flat:
        return electrons
    return electrons + _star_electrons(frame, readout, conditions.target_altitude, vignetting)


def _read_out(electrons: np.ndarray, detector: Detector,
              rng: np.random.Generator) -> np.ndarray:
    """Photon noise, read noise, bias and the 16-bit converter."""
    collected = rng.poisson(electrons).astype(np.float32) if electrons.any() else electrons
    noise = rng.standard_normal(electrons.shape, dtype=np.float32) * detector.read_noise
    adu = detector.bias_level + (collected + noise) / detector.gain
    return np.clip(np.rint(adu), 0, ADC_MAX).astype(np.uint16)


def frame_conditions(frame: FrameRequest) -> SkyConditions | None:
    """The frame's sky conditions: those it gives, else computed at mid-exposure for a
    frame on the sky; None for one that does not see it."""
    if frame.conditions is not None or not frame.has_sky:
        return frame.conditions
    middle = frame.time + timedelta(seconds=frame.exposure / 2)
    return sky_conditions(frame.site, middle, frame.ra, frame.dec)


def render_frame(frame: FrameRequest) -> fits.HDUList:
    """The FITS image the simulated camera returns for ``frame``: uint16 pixels and a
    header with the exposure, the detector, the conditions and (on the sky) a TAN WCS.
    A LIGHT frame also carries what it shows, in a binary table extension named TRUTH
    (see :mod:`pyros.simulators.truth`); the image stays the primary HDU."""
    conditions = frame_conditions(frame)
    pixels = _read_out(expected_electrons(frame, conditions), frame.detector,
                       np.random.default_rng(frame.seed))
    header = _header(frame, _Readout.of(frame), conditions)
    hdus = fits.HDUList([fits.PrimaryHDU(data=pixels, header=header)])
    if frame.frame_type is FrameType.LIGHT and conditions is not None:
        # Imported here: the truth module builds on this one.
        from pyros.simulators.truth import frame_truth, truth_hdu

        hdus.append(truth_hdu(frame_truth(frame, conditions)))
    return hdus


# --- Header ------------------------------------------------------------------------------


def _header(frame: FrameRequest, readout: _Readout,
            conditions: SkyConditions | None) -> fits.Header:
    d, n = frame.detector, frame.binning
    start = frame.time.astimezone(UTC)
    header = fits.Header()
    cards: list[tuple[str, object, str]] = [
        ("DATE-OBS", start.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3], "UTC start of exposure"),
        ("MJD-OBS", Time(start).mjd, "modified Julian date of the start"),
        ("EXPTIME", frame.exposure, "exposure time, seconds"),
        ("IMAGETYP", frame.frame_type.value, "frame type"),
        ("FILTER", frame.filter_name, "filter name"),
        ("XBINNING", n, "binning along x"),
        ("YBINNING", n, "binning along y"),
        ("XORGSUBF", readout.x0, "window origin x, unbinned pixels from 0"),
        ("YORGSUBF", readout.y0, "window origin y, unbinned pixels from 0"),
        ("CCD-TEMP", frame.ccd_temperature, "CCD temperature, Celsius"),
        ("GAIN", d.gain, "electrons per ADU"),
        ("RDNOISE", d.read_noise, "read noise, electrons"),
        ("BIASLEV", d.bias_level, "bias level, ADU"),
        ("DARKCUR", round(d.dark_rate(frame.ccd_temperature), 6),
         "e-/s per unbinned pixel at CCD-TEMP"),
        ("SATURATE", ADC_MAX, "ADU: the 16-bit converter's top"),
        ("PIXSCALE", d.pixel_scale * n, "arcseconds per image pixel"),
        ("TELESCOP", frame.telescope, "telescope"),
        ("INSTRUME", frame.instrument, "instrument"),
        ("SITELAT", frame.site.latitude, "site latitude, degrees north"),
        ("SITELONG", frame.site.longitude, "site longitude, degrees east"),
        ("SITEELEV", frame.site.elevation, "site elevation, metres"),
        ("SIMSEED", frame.seed, "seed of the simulated noise"),
    ]
    if frame.object_name:
        cards.append(("OBJECT", frame.object_name, "target name"))
    if frame.has_sky:
        cards += [("RA", frame.ra, "pointing right ascension, ICRS degrees"),
                  ("DEC", frame.dec, "pointing declination, ICRS degrees")]
    if conditions is not None and frame.has_sky:
        cards += _condition_cards(conditions)
        cards += _wcs_cards(frame, readout)
    if conditions is not None and frame.frame_type is FrameType.LIGHT:
        rate = sky_background(frame.filter_name, d.pixel_scale, conditions)
        cards += [("SEEING", frame.seeing, "simulated seeing FWHM, arcseconds"),
                  ("SKYRATE", round(rate, 4), "simulated sky, e-/s per unbinned pixel")]
    for key, value, comment in cards:
        header[key] = (value, comment)
    return header


def _condition_cards(conditions: SkyConditions) -> list[tuple[str, object, str]]:
    cards: list[tuple[str, object, str]] = [
        ("OBJALT", round(conditions.target_altitude, 4), "pointing altitude, degrees"),
        ("SUNALT", round(conditions.sun_altitude, 4), "sun altitude, degrees"),
        ("MOONALT", round(conditions.moon_altitude, 4), "moon altitude, degrees"),
        ("MOONILL", round(conditions.moon_illumination, 4), "moon illuminated fraction"),
        ("MOONSEP", round(conditions.moon_separation, 4), "moon distance, degrees"),
    ]
    if conditions.target_altitude > 0:  # no airmass below the horizon
        cards.insert(0, ("AIRMASS", round(airmass(conditions.target_altitude), 4),
                         "Kasten & Young airmass at mid-exposure"))
    return cards


def _wcs_cards(frame: FrameRequest, readout: _Readout) -> list[tuple[str, object, str]]:
    """TAN projection, north up and east left, the pointing at the detector's centre:
    the image centre, unless a window is read or the binning drops pixels at the edges
    (as on a real camera, the optical axis does not move)."""
    x, y = readout.optical_axis(frame.detector)
    step = frame.detector.pixel_scale * frame.binning / 3600.0
    return [
        ("WCSAXES", 2, "two image axes"),
        ("CTYPE1", "RA---TAN", "gnomonic projection"),
        ("CTYPE2", "DEC--TAN", "gnomonic projection"),
        ("CUNIT1", "deg", ""),
        ("CUNIT2", "deg", ""),
        ("RADESYS", "ICRS", ""),
        ("CRVAL1", frame.ra, "pointing right ascension, degrees"),
        ("CRVAL2", frame.dec, "pointing declination, degrees"),
        ("CRPIX1", x + 1.0, "FITS pixel of the pointing"),
        ("CRPIX2", y + 1.0, "FITS pixel of the pointing"),
        ("CD1_1", -step, "east is left"),
        ("CD1_2", 0.0, ""),
        ("CD2_1", 0.0, ""),
        ("CD2_2", step, "north is up"),
    ]
