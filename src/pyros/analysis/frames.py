"""The frame in hand: its pixels, its header, what the header says about it, and what the
pipeline's stages find, as they find it.

A frame is read from a FITS file of any origin (ours, another observatory's, a survey's):
the first HDU holding a 2-D image (primary, image extension or tile-compressed), its
type from IMAGETYP or OBSTYPE in the spellings in use ("Light Frame", "object", "BIAS"
...), its exposure, filter, binning, gain, read noise and pointing from the keywords
the common acquisition programs write. What cannot be read is a :class:`FrameError`
saying why; what is merely missing is left None for the stages to deal with.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
from astropy import units as u
from astropy.coordinates import Angle
from astropy.io import fits
from astropy.time import Time
from astropy.wcs import WCS

#: Files larger than this are not read (a 2048² float64 frame is 32 MiB).
MAX_FILE_BYTES = 2 * 1024**3
MAX_PIXELS = 200_000_000


class FrameError(ValueError):
    """A file that cannot be analysed, with the reason."""


class FrameKind(StrEnum):
    BIAS = "BIAS"
    DARK = "DARK"
    FLAT = "FLAT"
    LIGHT = "LIGHT"


# What acquisition programs write in IMAGETYP / OBSTYPE, lower-cased, to our kinds.
_KINDS = {
    "bias": FrameKind.BIAS, "bias frame": FrameKind.BIAS, "zero": FrameKind.BIAS,
    "dark": FrameKind.DARK, "dark frame": FrameKind.DARK,
    "flat": FrameKind.FLAT, "flat frame": FrameKind.FLAT, "flat field": FrameKind.FLAT,
    "skyflat": FrameKind.FLAT, "sky flat": FrameKind.FLAT, "domeflat": FrameKind.FLAT,
    "twilight flat": FrameKind.FLAT, "lampflat": FrameKind.FLAT,
    "light": FrameKind.LIGHT, "light frame": FrameKind.LIGHT, "object": FrameKind.LIGHT,
    "science": FrameKind.LIGHT, "expose": FrameKind.LIGHT, "standard": FrameKind.LIGHT,
}


@dataclass(frozen=True)
class Pointing:
    """ICRS degrees."""

    ra: float
    dec: float


@dataclass
class Frame:
    """One image on its way through the pipeline. ``data`` is float32 ADU, changed in
    place by the calibration stages; ``mask`` marks pixels not to trust (saturated, not
    finite, bad in the flat)."""

    name: str
    data: np.ndarray
    header: fits.Header
    kind: FrameKind
    exposure: float | None
    filter: str = ""
    channel: str = ""
    binning: int = 1
    gain: float | None = None  # electrons per ADU
    read_noise: float | None = None  # electrons
    ccd_temperature: float | None = None  # Celsius
    date_obs: datetime | None = None
    saturation: float = 65535.0  # ADU, raw
    pointing: Pointing | None = None  # where the telescope says it pointed
    pixel_scale: float | None = None  # arcsec per image pixel, as the header says
    mask: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), bool))
    # What the stages find.
    background: Any = None  # detection.Background
    sources: np.ndarray | None = None  # detection.SOURCE_DTYPE
    wcs: WCS | None = None
    results: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, str] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.mask.shape != self.data.shape:
            self.mask = ~np.isfinite(self.data)

    @property
    def shape(self) -> tuple[int, int]:
        return self.data.shape  # type: ignore[return-value]

    def flag(self, text: str) -> None:
        if text not in self.flags:
            self.flags.append(text)


def load_frame(path: Path | str, *, kind: FrameKind | None = None) -> Frame:
    """Read the image of a FITS file; ``kind`` overrides what its header says."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FrameError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if size == 0:
        raise FrameError(f"{path}: empty file")
    if size > MAX_FILE_BYTES:
        raise FrameError(f"{path}: {size} bytes, more than {MAX_FILE_BYTES} are not read")
    try:
        with warnings.catch_warnings():  # a damaged file is an error below, not a warning
            warnings.simplefilter("ignore")
            hdus = fits.open(path, memmap=False, lazy_load_hdus=False)
        with hdus:
            hdu = _image_hdu(hdus)
            if hdu is None:
                raise FrameError(f"{path}: no 2-D image in any HDU")
            data = np.asarray(hdu.data, dtype=np.float32)
            header = _merged_header(hdus, hdu)
    except FrameError:
        raise
    except (OSError, ValueError, TypeError, IndexError, KeyError) as exc:
        raise FrameError(f"{path}: not a readable FITS image ({exc})") from None
    return frame_from(path.name, data, header, kind=kind)


def frame_from(name: str, data: np.ndarray, header: fits.Header, *,
               kind: FrameKind | None = None) -> Frame:
    """A frame from pixels and a header already in memory."""
    if data.ndim != 2 or 0 in data.shape:
        raise FrameError(f"{name}: the image is {data.shape}, not a 2-D array of pixels")
    if data.size > MAX_PIXELS:
        raise FrameError(f"{name}: {data.size} pixels, more than {MAX_PIXELS} are not read")
    if not np.isfinite(data).any():
        raise FrameError(f"{name}: no finite pixel")
    data = np.ascontiguousarray(data, dtype=np.float32)
    return Frame(
        name=name, data=data, header=header.copy(), kind=kind or kind_of(header),
        exposure=_number(header, "EXPTIME", "EXPOSURE", "ITIME"),
        filter=str(header.get("FILTER", header.get("FILTNAME", ""))).strip(),
        channel=str(header.get("CHANNEL", header.get("INSTRUME", ""))).strip(),
        binning=int(_number(header, "XBINNING", "BINX", "CCDXBIN") or 1),
        gain=_positive(header, "GAIN", "EGAIN", "CCDGAIN"),
        read_noise=_positive(header, "RDNOISE", "READNOIS", "RON"),
        ccd_temperature=_number(header, "CCD-TEMP", "CCDTEMP", "DET-TEMP"),
        date_obs=_date(header),
        saturation=_saturation(header, data),
        pointing=_pointing(header),
        pixel_scale=_pixel_scale(header),
    )


def kind_of(header: fits.Header) -> FrameKind:
    """The frame type the header names; LIGHT when it names none (a picture of the sky
    is what someone analysing a file of unknown origin has in hand)."""
    for key in ("IMAGETYP", "OBSTYPE", "FRAMETYP"):
        value = str(header.get(key, "")).strip().lower()
        if value in _KINDS:
            return _KINDS[value]
        for word, found in _KINDS.items():
            if value and word in value:
                return found
    return FrameKind.LIGHT


def _image_hdu(hdus: fits.HDUList) -> fits.hdu.base.ExtensionHDU | None:
    for hdu in hdus:
        if isinstance(hdu, fits.PrimaryHDU | fits.ImageHDU | fits.CompImageHDU) \
                and hdu.data is not None and hdu.data.ndim == 2:
            return hdu
    for hdu in hdus:  # a cube: say so rather than "no image"
        if isinstance(hdu, fits.PrimaryHDU | fits.ImageHDU | fits.CompImageHDU) \
                and hdu.data is not None and hdu.data.ndim != 2:
            raise FrameError(f"the image is {hdu.data.shape}: {hdu.data.ndim}-D, not 2-D")
    return None


def _merged_header(hdus: fits.HDUList, hdu: Any) -> fits.Header:
    """The image HDU's header, completed by the primary's where the image sits in an
    extension (many archives put the observation keywords in the primary)."""
    header = hdu.header.copy()
    if hdu is not hdus[0]:
        for card in hdus[0].header.cards:
            if card.keyword and card.keyword not in header and card.keyword not in (
                    "SIMPLE", "BITPIX", "NAXIS", "EXTEND", "COMMENT", "HISTORY", ""):
                header.append(card)
    return header


def _number(header: fits.Header, *keys: str) -> float | None:
    for key in keys:
        value = header.get(key)
        if isinstance(value, bool):
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if math.isfinite(number):
            return number
    return None


def _positive(header: fits.Header, *keys: str) -> float | None:
    value = _number(header, *keys)
    return value if value is not None and value > 0 else None


def _date(header: fits.Header) -> datetime | None:
    for key in ("DATE-OBS", "DATE_OBS"):
        text = str(header.get(key, "")).strip()
        if not text:
            continue
        if "T" not in text and header.get("TIME-OBS"):
            text = f"{text}T{str(header['TIME-OBS']).strip()}"
        try:
            return Time(text, format="isot" if "T" in text else None,
                        scale="utc").to_datetime(timezone=UTC)
        except ValueError:
            continue
    mjd = _number(header, "MJD-OBS")
    return Time(mjd, format="mjd", scale="utc").to_datetime(timezone=UTC) if mjd else None


def _saturation(header: fits.Header, data: np.ndarray) -> float:
    """SATURATE if the header gives it; else just under the converter's top for the
    integer types cameras write (16-bit unless the data says otherwise)."""
    given = _positive(header, "SATURATE", "SATLEVEL", "MAXLIN")
    if given is not None:
        return given
    top = float(np.nanmax(data))
    return 65535.0 if top <= 65535.0 else top


_SEXAGESIMAL = re.compile(r"^[+-]?\d{1,3}[: ]\d{1,2}[: ]\d{1,2}(\.\d*)?$")


def _angle(value: Any, *, right_ascension: bool) -> float | None:
    """Degrees from a number (degrees) or a sexagesimal string (hours for a right
    ascension, degrees for a declination)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    text = str(value).strip()
    unit = u.hourangle if right_ascension else u.deg
    try:
        if _SEXAGESIMAL.match(text):
            return float(Angle(text.replace(" ", ":"), unit=unit).deg)
        return float(text)
    except ValueError:
        pass
    try:  # "10h23m45.6s", "+20d10m00s"
        return float(Angle(text, unit=unit).deg)
    except (ValueError, TypeError, u.UnitsError):
        return None


def _pointing(header: fits.Header) -> Pointing | None:
    """Where the telescope pointed: RA/DEC (degrees, or sexagesimal hours and degrees),
    OBJCTRA/OBJCTDEC, else the centre of a WCS already in the header."""
    for ra_key, dec_key in (("RA", "DEC"), ("OBJCTRA", "OBJCTDEC"), ("TELRA", "TELDEC")):
        if ra_key in header and dec_key in header:
            ra = _angle(header[ra_key], right_ascension=True)
            dec = _angle(header[dec_key], right_ascension=False)
            if ra is not None and dec is not None and -90 <= dec <= 90:
                return Pointing(ra % 360.0, dec)
    ra, dec = _number(header, "CRVAL1"), _number(header, "CRVAL2")
    if ra is not None and dec is not None and "RA" in str(header.get("CTYPE1", "")):
        return Pointing(ra % 360.0, dec)
    return None


def _pixel_scale(header: fits.Header) -> float | None:
    """Arcsec per image pixel: PIXSCALE/SECPIX, else the header's WCS."""
    given = _positive(header, "PIXSCALE", "SECPIX", "SCALE")
    if given is not None:
        return given
    # What MaxIm DL, N.I.N.A. and SGP write: the pixel's size (µm, binning included)
    # and the focal length (mm).
    pixel, focal = _positive(header, "XPIXSZ"), _positive(header, "FOCALLEN")
    if pixel is not None and focal is not None:
        return 206.264806 * pixel / focal
    cd = [_number(header, key) for key in ("CD1_1", "CD1_2", "CD2_1", "CD2_2")]
    if all(v is not None for v in cd):
        return math.sqrt(abs(cd[0] * cd[3] - cd[1] * cd[2])) * 3600.0  # type: ignore[operator]
    cdelt = _number(header, "CDELT1")
    return abs(cdelt) * 3600.0 if cdelt else None
