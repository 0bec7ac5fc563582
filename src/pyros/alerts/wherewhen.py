"""WhereWhen: when the event happened (UTC) and where it is (ICRS degrees), or why a
position given cannot be used.

The coordinate system (``alerts/stc.py``) says the time scale and the frame; FK5 (J2000)
is taken as ICRS (they differ by tens of milliarcseconds, nothing next to any alert's
error circle), FK4 and galactic positions are converted. A 0, 0 position with no error
is the missions' "no position yet" placeholder (Fermi GBM alerts, broker tests). Odd
values of real packets are flagged, not refused (an error radius of -1, a frame that is
not the sky); values no packet can mean (NaN, a declination of 123°, an unknown unit, an
error circle larger than the sky) are refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lxml import etree

from pyros.alerts.safexml import VOEventError, text_of
from pyros.alerts.stc import CoordSystem

GPS_BEHIND_TAI = 19.0  # seconds, fixed since 1980
_ANGLE_UNITS = {"deg": 1.0, "degree": 1.0, "degrees": 1.0, "arcmin": 1 / 60,
                "arcsec": 1 / 3600, "rad": 180 / math.pi}


def coords_of(root: etree._Element) -> etree._Element | None:
    return root.find("WhereWhen/ObsDataLocation/ObservationLocation/AstroCoords")


def event_time(root: etree._Element, scale: str) -> datetime | None:
    coords = coords_of(root)
    if coords is None:
        return None
    text = text_of(coords.find("Time/TimeInstant/ISOTime"))
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError as exc:
        raise VOEventError(f"event time {text!r} is not an ISO date and time") from exc
    if scale == "GPS":  # not an astropy scale: GPS time runs 19 s behind TAI
        when, scale = when + timedelta(seconds=GPS_BEHIND_TAI), "TAI"
    if scale == "UT1":  # within 0.9 s of UTC by definition; converting needs IERS tables
        scale = "UTC"
    if scale != "UTC":
        from astropy.time import Time

        try:
            when = Time(when.replace(tzinfo=None), scale=scale.lower()).utc.to_datetime()
        except Exception as exc:  # astropy's errors are not all ValueErrors
            raise VOEventError(f"event time {text!r} ({scale}) cannot be put in UTC") from exc
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def _number(text: str | None, what: str) -> float:
    if text is None:
        raise VOEventError(f"{what} is missing")
    try:
        value = float(text)
    except ValueError as exc:
        raise VOEventError(f"{what} {text!r} is not a number") from exc
    if not math.isfinite(value):
        raise VOEventError(f"{what} {text!r} is not a finite number")
    return value


def _unit_factor(unit: str | None, what: str) -> float:
    if unit is None or not unit.strip():
        return 1.0
    factor = _ANGLE_UNITS.get(unit.strip().lower())
    if factor is None:
        raise VOEventError(f"unknown angle unit {unit!r} for {what}")
    return factor


@dataclass(frozen=True)
class Where:
    """The position part of a packet: ICRS ra, dec and error radius (degrees), all None
    when there is no real position; ``flag`` says why a position given was not used."""

    ra: float | None = None
    dec: float | None = None
    error: float | None = None
    frame: str | None = None
    flag: str | None = None


def position(root: etree._Element, system: CoordSystem, *, unavailable: bool = False
             ) -> Where:
    """The position, or why there is none; ``unavailable``: the packet says its
    coordinates are unavailable (GCN's ``Coords_Type`` 0)."""
    coords = coords_of(root)
    position = coords.find("Position2D") if coords is not None else None
    if position is None:
        return Where()
    factor = _unit_factor(position.get("unit"), "the position")
    c1 = _number(text_of(position.find("Value2/C1")), "position C1 (ra)") * factor
    c2 = _number(text_of(position.find("Value2/C2")), "position C2 (dec)") * factor
    error_element = position.find("Error2Radius")
    error = None
    if error_element is not None and text_of(error_element) is not None:
        error_factor = factor
        if error_element.get("unit"):
            error_factor = _unit_factor(error_element.get("unit"), "the error radius")
        error = _number(text_of(error_element), "error radius") * error_factor
        if error > 180:
            raise VOEventError(f"error radius {error} deg is larger than the sky")

    frame = system.frame
    if frame is None:
        return Where(flag=f"position ({c1:g}, {c2:g}) not used: {system.problem}")
    longitude, latitude = ("galactic longitude", "galactic latitude") if frame == "GALACTIC" \
        else ("ra", "dec")
    if not -90 <= c2 <= 90:
        raise VOEventError(f"{latitude} {c2} is outside -90..90 degrees")
    if not 0 <= c1 <= 360:
        raise VOEventError(f"{longitude} {c1} is outside 0..360 degrees")
    if c1 == 360:
        c1 = 0.0

    if error is not None and error < 0:
        # SVOM GRM triggers give the satellite's pointing with an error radius of -1:
        # the burst has no position yet. A packet, not an attack: kept, position unused.
        return Where(frame=frame, flag=(
            f"position ({c1:g}, {c2:+g}) not used: its error radius is negative "
            f"({error:g} deg), the mission's way of saying there is no position yet"))
    if c1 == 0 and c2 == 0 and not error:
        return Where(frame=frame)  # the "no position yet" placeholder
    if unavailable:
        return Where(frame=frame)  # GCN: coordinates unavailable / inappropriate
    ra, dec = _to_icrs(c1, c2, frame)
    return Where(ra, dec, error, frame)


def _to_icrs(c1: float, c2: float, frame: str) -> tuple[float, float]:
    if frame in ("ICRS", "FK5"):
        return c1, c2
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    if frame == "FK4":
        coord = SkyCoord(ra=c1 * u.deg, dec=c2 * u.deg, frame="fk4")
    else:
        coord = SkyCoord(l=c1 * u.deg, b=c2 * u.deg, frame="galactic")
    icrs = coord.icrs
    return float(icrs.ra.deg) % 360.0, float(icrs.dec.deg)
