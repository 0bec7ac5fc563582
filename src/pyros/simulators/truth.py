"""What a simulated LIGHT frame really shows, so that a pipeline run on it can be scored:
the stars and transients with their positions and brightness, the pointing, the seeing,
the zero point, the sky and the depth the noise allows.

:func:`frame_truth` computes it from the :class:`~pyros.simulators.sky.FrameRequest`
with the renderer's own code, so it is what was drawn, not a second model of it.
:func:`~pyros.simulators.sky.render_frame` stores it in every LIGHT frame as a binary
table extension named ``TRUTH`` (:func:`truth_hdu`), after the image, which stays the
primary HDU; :func:`read_truth` reads it back.

The TRUTH table has one row per source whose centre falls on the image: ``RA``, ``DEC``
(ICRS degrees), ``X``, ``Y`` (0-based image pixels, centres on integers: FITS pixel
minus 1; binning and readout window included), ``MAG`` (catalogue magnitude; for a
transient the steady magnitude giving its electrons in this exposure, ``inf`` when not
yet lit), ``ELECTRONS`` (expected electrons of the whole source in the exposure, after
extinction and vignetting, before noise; what falls beyond the image edge included) and
``TRANSIENT`` (logical). Stars whose centre lies just outside the image add light to its
edge but are not listed. The scalar facts are header cards of the extension (see
:data:`_CARDS`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from astropy.io import fits

from pyros.devices.interfaces import FrameType
from pyros.simulators.sky import (
    FWHM_PER_SIGMA,
    FrameRequest,
    SkyConditions,
    airmass,
    band,
    field_sources,
    frame_conditions,
    psf_sigma,
    sky_background,
    vignetting_at,
)

EXTENSION = "TRUTH"
LIMIT_SNR = 5.0
# Radius of the aperture the limiting magnitude assumes, in FWHM: the one that gives a
# Gaussian star the best signal-to-noise ratio on a background (it holds 71.5 % of the
# light), so the limit is the deepest aperture photometry can reach.
LIMIT_APERTURE = 0.6731


@dataclass(frozen=True)
class Sources:
    """Point sources of a frame as parallel arrays (see the module for the columns)."""

    ra: np.ndarray
    dec: np.ndarray
    x: np.ndarray
    y: np.ndarray
    magnitude: np.ndarray
    electrons: np.ndarray

    def __len__(self) -> int:
        return len(self.ra)

    def _select(self, keep: np.ndarray) -> Sources:
        return Sources(self.ra[keep], self.dec[keep], self.x[keep], self.y[keep],
                       self.magnitude[keep], self.electrons[keep])


@dataclass(frozen=True)
class Truth:
    """The facts of one simulated LIGHT frame.

    ``zero_point`` is the catalogue magnitude that gives 1 electron per second in total
    on the detector, through this filter at this frame's airmass (extinction included),
    for a star on the optical axis (no vignetting): ``m = zero_point - 2.5 log10(e-/s)``.
    :attr:`zero_point_adu` is the same for the ADU above bias of the whole exposure.
    ``sky_electrons`` and ``dark_electrons`` are the mean electrons per image (binned)
    pixel in the exposure, at the optical axis; ``sky_brightness`` is the sky in
    mag/arcsec^2 on the scale of the filter's dark_sky (the zero point above the
    atmosphere: the sky's light does not cross it all). ``limiting_magnitude`` is the
    magnitude of a point source measured at signal-to-noise ``LIMIT_SNR`` in an aperture
    of ``LIMIT_APERTURE`` FWHM radius at the optical axis, with Poisson noise on the
    star, the sky and the dark current and the read noise in every pixel of the
    aperture (the background assumed known exactly)."""

    stars: Sources
    transients: Sources
    ra: float  # the true pointing (optical axis), ICRS degrees
    dec: float
    time: datetime  # start of the exposure, UTC
    exposure: float  # seconds
    filter_name: str
    binning: int
    pixel_scale: float  # arcsec per image pixel
    seeing: float  # FWHM, arcsec
    airmass: float
    zero_point: float
    gain: float  # e-/ADU
    read_noise: float  # e- rms
    sky_electrons: float
    sky_brightness: float
    dark_electrons: float
    limiting_magnitude: float

    @property
    def fwhm(self) -> float:
        """The seeing FWHM in image pixels."""
        return self.seeing / self.pixel_scale

    @property
    def zero_point_adu(self) -> float:
        """The magnitude giving 1 ADU above bias in this exposure (optical axis)."""
        return self.zero_point + 2.5 * math.log10(max(self.exposure, 1e-9) / self.gain)

    @property
    def middle(self) -> datetime:
        return self.time + timedelta(seconds=self.exposure / 2)


def frame_truth(frame: FrameRequest, conditions: SkyConditions | None = None) -> Truth:
    """The truth of a LIGHT frame. ``conditions`` default to the frame's, else those
    computed from its time and site (as render_frame does)."""
    if frame.frame_type is not FrameType.LIGHT:
        raise ValueError(f"a {frame.frame_type.value} frame shows no sky to tell the truth of")
    conditions = conditions or frame_conditions(frame)
    assert conditions is not None and frame.ra is not None and frame.dec is not None
    sources = field_sources(frame, conditions.target_altitude)
    height, width = _image_shape(frame)
    inside = ((sources.x >= -0.5) & (sources.x < width - 0.5)
              & (sources.y >= -0.5) & (sources.y < height - 0.5))
    electrons = sources.electrons * vignetting_at(frame, sources.x, sources.y)
    everything = Sources(sources.ra, sources.dec, sources.x, sources.y, sources.magnitude,
                         electrons)
    d, n, b = frame.detector, frame.binning, band(frame.filter_name)
    x = airmass(conditions.target_altitude)
    zero_point = b.zero_point - b.extinction * x
    sky_rate = sky_background(frame.filter_name, d.pixel_scale, conditions)  # unbinned px
    sky = sky_rate * frame.exposure * n * n
    dark = d.dark_rate(frame.ccd_temperature) * frame.exposure * n * n
    return Truth(
        stars=everything._select(inside & ~sources.transient),
        transients=everything._select(inside & sources.transient),
        ra=frame.ra, dec=frame.dec, time=frame.time.astimezone(UTC),
        exposure=frame.exposure, filter_name=frame.filter_name, binning=n,
        pixel_scale=d.pixel_scale * n, seeing=frame.seeing, airmass=x,
        zero_point=zero_point, gain=d.gain, read_noise=d.read_noise,
        sky_electrons=sky,
        sky_brightness=b.zero_point - 2.5 * math.log10(max(sky_rate, 1e-30)
                                                       / d.pixel_scale**2),
        dark_electrons=dark,
        limiting_magnitude=_limiting_magnitude(frame, zero_point, sky + dark, d.read_noise),
    )


def _image_shape(frame: FrameRequest) -> tuple[int, int]:
    d, n = frame.detector, frame.binning
    width, height = (frame.region.width, frame.region.height) if frame.region \
        else (d.width, d.height)
    return height // n, width // n


def _limiting_magnitude(frame: FrameRequest, zero_point: float, background: float,
                        read_noise: float) -> float:
    """Solve S^2 = SNR^2 (S + N (B + R^2)) for the aperture's electrons S."""
    if frame.exposure <= 0:
        return math.nan  # nothing is detected in no time
    sigma = psf_sigma(frame)
    radius = LIMIT_APERTURE * sigma * FWHM_PER_SIGMA
    pixels = math.pi * radius**2
    enclosed = 1.0 - math.exp(-radius**2 / (2.0 * sigma**2))
    k2 = LIMIT_SNR**2
    signal = (k2 + math.sqrt(k2 * k2 + 4.0 * k2 * pixels * (background + read_noise**2))) / 2
    return zero_point - 2.5 * math.log10(signal / enclosed / frame.exposure)


# --- FITS ----------------------------------------------------------------------------------

# Header cards of the TRUTH extension: keyword, Truth attribute, comment.
_CARDS = (
    ("RA", "ra", "true pointing (optical axis), ICRS degrees"),
    ("DEC", "dec", "true pointing (optical axis), ICRS degrees"),
    ("EXPTIME", "exposure", "exposure, seconds"),
    ("FILTER", "filter_name", "filter"),
    ("BINNING", "binning", "on-chip binning"),
    ("PIXSCALE", "pixel_scale", "arcsec per image pixel"),
    ("SEEING", "seeing", "seeing FWHM, arcsec"),
    ("AIRMASS", "airmass", "airmass at mid-exposure"),
    ("ZP", "zero_point", "mag giving 1 e-/s at this airmass, on axis"),
    ("GAIN", "gain", "electrons per ADU"),
    ("RDNOISE", "read_noise", "read noise, electrons"),
    ("SKYELEC", "sky_electrons", "sky, e- per image pixel in the exposure"),
    ("SKYMAG", "sky_brightness", "sky, mag/arcsec^2"),
    ("DARKELEC", "dark_electrons", "dark, e- per image pixel in the exposure"),
    ("LIMMAG", "limiting_magnitude", "point source at SNR 5, 0.67 FWHM aperture"),
)


def truth_hdu(truth: Truth) -> fits.BinTableHDU:
    """The TRUTH extension: stars then transients, one row each."""
    parts = (truth.stars, truth.transients)
    columns = [fits.Column(name=name, format="D", array=np.concatenate(
                   [getattr(p, attribute) for p in parts]).astype(float))
               for name, attribute in (("RA", "ra"), ("DEC", "dec"), ("X", "x"), ("Y", "y"),
                                       ("MAG", "magnitude"), ("ELECTRONS", "electrons"))]
    flags = np.concatenate([np.zeros(len(truth.stars), bool),
                            np.ones(len(truth.transients), bool)])
    columns.append(fits.Column(name="TRANSIENT", format="L", array=flags))
    hdu = fits.BinTableHDU.from_columns(columns, name=EXTENSION)
    header = hdu.header
    header["DATE-OBS"] = (truth.time.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3],
                          "UTC start of exposure")
    for key, attribute, comment in _CARDS:
        value = getattr(truth, attribute)
        if not isinstance(value, float) or math.isfinite(value):  # FITS cards hold no inf
            header[key] = (value, comment)
    header["XYORIGIN"] = (0, "X, Y are 0-based: FITS pixel minus 1")
    header["LIMSNR"] = (LIMIT_SNR, "signal-to-noise ratio of LIMMAG")
    header["NSTARS"] = (len(truth.stars), "catalogue stars centred on the image")
    header["NTRANS"] = (len(truth.transients), "transients centred on the image")
    return hdu


def read_truth(source: fits.HDUList | Path | str) -> Truth | None:
    """The truth a simulated frame carries; None when it has none (a real frame, a
    calibration frame, or one simulated before truths were written)."""
    if isinstance(source, fits.HDUList):
        return _from_hdus(source)
    with fits.open(source, memmap=False) as hdus:
        return _from_hdus(hdus)


def _from_hdus(hdus: fits.HDUList) -> Truth | None:
    if EXTENSION not in hdus:
        return None
    hdu = hdus[EXTENSION]
    header, table = hdu.header, hdu.data
    flags = np.asarray(table["TRANSIENT"], bool)
    arrays = [np.asarray(table[name], float)
              for name in ("RA", "DEC", "X", "Y", "MAG", "ELECTRONS")]
    everything = Sources(*arrays)
    facts = {attribute: header.get(key, math.nan) for key, attribute, _ in _CARDS}
    start = datetime.fromisoformat(header["DATE-OBS"]).replace(tzinfo=UTC)
    return Truth(stars=everything._select(~flags), transients=everything._select(flags),
                 time=start, **facts)
