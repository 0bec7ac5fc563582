"""The keywords PyROS adds to every image the camera wrote, so that a FITS file alone
says what was observed, for which request, where and in what conditions.

The camera (or its simulator) writes the file with what it knows (pixels, detector,
its own clock); we add what only the majordome knows: the target and the pointing, the
request's ids, the site, the weather. Values are made FITS-legal here rather than by
callers: a target name with an accent or a 100-character weather summary must never cost
an image its headers. Plain Python with astropy: no Django, no devices.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
import warnings
from datetime import UTC, datetime, timedelta
from numbers import Integral, Real
from pathlib import Path

from astropy.io import fits
from astropy.io.fits.verify import VerifyWarning

from pyros import astro
from pyros.config.schema import UnitConfig
from pyros.devices.interfaces import MountStatus
from pyros.majordome.work import ChannelWork, Exposures, SequenceWork

log = logging.getLogger(__name__)

MAX_STRING = 68  # characters of a string value on one card
_KEY = re.compile(r"^[A-Z0-9_-]{1,8}$")
# Keywords that describe the data array: a context that set them would corrupt the file.
_STRUCTURAL = re.compile(r"^(SIMPLE|BITPIX|NAXIS\d*|EXTEND|BZERO|BSCALE|BLANK|END|"
                         r"PCOUNT|GCOUNT|XTENSION)$")

COMMENTS: dict[str, str] = {
    "OBJECT": "target name",
    "OBSTYPE": "frame type",
    "IMAGETYP": "frame type",
    "TARG-RA": "requested right ascension, ICRS degrees",
    "TARG-DEC": "requested declination, ICRS degrees",
    "RA": "mount right ascension after the slew, ICRS deg",
    "DEC": "mount declination after the slew, ICRS deg",
    "ALT": "mount altitude after the slew, degrees",
    "AZ": "mount azimuth after the slew, degrees (N=0, E=90)",
    "HA": "mount hour angle after the slew, hours",
    "AIRMASS": "target at mid-exposure, Pickering (2002)",
    "FILTER": "filter name",
    "EXPTIME": "exposure time, seconds",
    "DATE-OBS": "UTC start of exposure",
    "DATE-END": "UTC end of exposure",
    "PYROSSEQ": "PyROS sequence id",
    "PYROSREQ": "PyROS request id",
    "PYROSPLN": "PyROS plan id",
    "PYROSALB": "PyROS album id",
    "PYROSKEY": "PyROS work key",
    "PYROSIMG": "image number within its plan",
    "CHANNEL": "instrument channel",
    "TELESCOP": "telescope (PyROS unit)",
    "OBSERVAT": "observatory site",
    "SITELAT": "site latitude, degrees north",
    "SITELONG": "site longitude, degrees east",
    "SITEELEV": "site elevation, metres",
    "WXRAIN": "rain rate, mm/h",
    "WXWIND": "wind speed, m/s",
    "WXHUMID": "relative humidity, percent",
    "WXTEMP": "outside temperature, Celsius",
    "DOMESHUT": "dome shutter",
    "SAFETY": "safety status at the exposure's start",
    "OBSSTATE": "majordome's state at the exposure's start",
}
DEFAULT_COMMENT = "observing conditions (majordome)"


def fits_time(moment: datetime) -> str:
    """DATE-OBS style: ISO UTC to the millisecond, no timezone suffix (FITS dates are
    UTC by definition). A naive datetime is taken as UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def airmass_pickering(altitude: float) -> float | None:
    """Pickering (2002), good down to the horizon (where sec z diverges); None below it."""
    if altitude <= 0.0:
        return None
    return 1.0 / math.sin(math.radians(altitude + 244.0 / (165.0 + 47.0 * altitude ** 1.1)))


def _fits_string(text: str) -> str:
    """ASCII printable, at most one card long (a quote counts twice: FITS doubles it)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    printable = "".join(c if 32 <= ord(c) < 127 else " " for c in ascii_text).rstrip()
    while len(printable) + printable.count("'") > MAX_STRING:
        printable = printable[:-1]
    return printable


def fits_value(value: object) -> str | int | float | bool | None:
    """The FITS-legal form of ``value``; None when it has none (None, NaN, infinity)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, datetime):
        return fits_time(value)
    return _fits_string(str(value))


def legal_keywords(keywords: dict[str, object]) -> dict[str, str | int | float | bool]:
    """The keywords that can be written, keys upper-cased and values made legal; others
    are dropped with a warning (a bad context key must not cost the image its headers)."""
    legal: dict[str, str | int | float | bool] = {}
    for key, value in keywords.items():
        name = str(key).upper()
        if not _KEY.match(name) or _STRUCTURAL.match(name):
            log.warning("FITS keyword %r skipped: not a legal or writable keyword", key)
            continue
        converted = fits_value(value)
        if converted is not None:
            legal[name] = converted
    return legal


def add_headers(path: Path, keywords: dict[str, object]) -> None:
    """Write ``keywords`` into the primary header of the FITS file at ``path``, replacing
    those the camera already wrote, and its checksums. The pixels are left exactly as the
    camera wrote them."""
    cards = legal_keywords(keywords)
    with warnings.catch_warnings():
        # A long value shortens its comment: harmless, and not worth a warning per image.
        warnings.simplefilter("ignore", VerifyWarning)
        with fits.open(path, mode="update", do_not_scale_image_data=True) as hdus:
            header = hdus[0].header
            for key, value in cards.items():
                header[key] = (value, COMMENTS.get(key, DEFAULT_COMMENT))
            # The archive's integrity check inside the file (FITS DATASUM/CHECKSUM): any
            # FITS reader can tell a damaged copy, wherever it was downloaded.
            for hdu in hdus:
                hdu.add_checksum()


def image_keywords(unit: UnitConfig, work: SequenceWork, plan: Exposures, channel: ChannelWork,
                   index: int, started: datetime, ended: datetime,
                   mount_status: MountStatus | None,
                   context: dict[str, object]) -> dict[str, object]:
    """Everything we know about one image. ``started`` and ``ended`` are the opening and
    closing of the shutter; ``mount_status`` is the mount at the end of the slew (None
    when the work did not point: bias, darks). The majordome's ``context`` (the safety,
    its state and the weather in force at ``started``, see ``conditions.py``) comes
    last, as given."""
    keywords: dict[str, object] = {
        "OBJECT": work.target_name,
        "OBSTYPE": plan.frame_type.value,
        "IMAGETYP": plan.frame_type.value,
        "FILTER": plan.filter,
        "EXPTIME": plan.exposure,
        "DATE-OBS": started,
        "DATE-END": ended,
        "CHANNEL": channel.channel,
        "PYROSSEQ": work.sequence_id,
        "PYROSREQ": work.request_id,
        "PYROSPLN": plan.plan_id,
        "PYROSALB": channel.album_id,
        "PYROSKEY": work.key,
        "PYROSIMG": index,
        **_site_keywords(unit),
        **_pointing_keywords(unit, work, started, ended),
        **_mount_keywords(mount_status),
    }
    keywords.update(context)
    return keywords


def _site_keywords(unit: UnitConfig) -> dict[str, object]:
    site = unit.site
    return {"TELESCOP": unit.unit, "OBSERVAT": site.name, "SITELAT": site.latitude,
            "SITELONG": site.longitude, "SITEELEV": site.elevation}


def _pointing_keywords(unit: UnitConfig, work: SequenceWork, started: datetime,
                       ended: datetime) -> dict[str, object]:
    """The requested position, and its airmass in the middle of the exposure: a sequence
    can last an hour, so the altitude at the end of the slew would not do."""
    if work.pointing is None:
        return {}
    site = unit.site
    middle = started + max(ended - started, timedelta(0)) / 2
    altitude, _ = astro.altaz(work.pointing.ra, work.pointing.dec, middle,
                              astro.location(site.latitude, site.longitude, site.elevation))
    return {"TARG-RA": work.pointing.ra, "TARG-DEC": work.pointing.dec,
            "AIRMASS": _rounded(airmass_pickering(altitude), 4)}


def _mount_keywords(status: MountStatus | None) -> dict[str, object]:
    if status is None:
        return {}
    return {"RA": _rounded(status.ra, 6), "DEC": _rounded(status.dec, 6),
            "ALT": _rounded(status.alt, 4), "AZ": _rounded(status.az, 4),
            "HA": _rounded(status.ha, 5)}


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
