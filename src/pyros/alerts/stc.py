"""What a packet's coordinate system says: the time scale of its times, the sky frame of
its position.

VOEvent borrows IVOA STC, where a coordinate system is named by an id made of tokens —
time scale, spatial frame, reference position — such as the STClib systems
``UTC-FK5-GEO``, ``UTC-ICRS-GEO``, ``TT-ICRS-TOPO``, ``TDB-ICRS-BARY`` or
``UTC-GEOD-TOPO``. Real packets do not all keep that order (Fermi GBM's VOEvent 1.1
notices say ``FK5-UTC-GEO``) and some name the system only by a link to the library
(``xlink:href="ivo://STClib/CoordSys#UTC-FK5-GEO/"``). So the tokens are told apart by
what they are, not by where they stand, and the id, the coordinates' reference and the
link are each tried until one names a frame.

A system that names no frame PyROS can put on the sky (a place on Earth, another body,
a typing error) does not make the packet unreadable: its time still counts, and
:attr:`CoordSystem.problem` says why its position cannot be used, so that the alert is
kept, flagged, and grouped with the later packets of its event.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

XLINK_HREF = "{http://www.w3.org/1999/xlink}href"

TIME_SCALES = frozenset({"UTC", "TT", "TAI", "TDB", "TCG", "TCB", "UT1", "GPS", "TDT", "ET"})
#: Scales astropy knows under another name.
_SCALE_ALIASES = {"TDT": "TT", "ET": "TT"}

#: Frames of the sky PyROS converts to ICRS, by their STC tokens.
SKY_FRAMES = {"ICRS": "ICRS", "FK5": "FK5", "J2000": "FK5", "FK4": "FK4", "B1950": "FK4",
              "GAL": "GALACTIC", "GALACTIC": "GALACTIC", "GALACTIC_II": "GALACTIC"}

#: STC frames that are real but put nothing on the sky PyROS could point at.
OTHER_FRAMES = {
    "GEOD": "geodetic coordinates (a place on Earth)",
    "GEOC": "geocentric coordinates (a place on Earth)",
    "ECLIPTIC": "ecliptic coordinates (not converted)",
    "GALACTIC_I": "old galactic coordinates (not converted)",
    "SUPER_GALACTIC": "supergalactic coordinates (not converted)",
    "AZ_EL": "azimuth and elevation of an unnamed site",
    "BODY": "coordinates on a solar-system body",
    "MAG": "geomagnetic coordinates", "GSE": "geocentric solar ecliptic coordinates",
    "GSM": "geocentric solar magnetic coordinates", "SM": "solar magnetic coordinates",
    "HGC": "heliographic coordinates", "HGS": "heliographic coordinates",
    "HEEQ": "heliocentric Earth equatorial coordinates",
    "HRTN": "heliocentric radial-tangential-normal coordinates",
    "HPC": "helioprojective coordinates", "HPR": "helioprojective coordinates",
    "HCC": "heliocentric cartesian coordinates", "HGI": "heliographic inertial coordinates",
}

#: Reference positions: where the coordinates are centred. They do not change a
#: transient's direction by anything next to an alert's error circle.
REFERENCE_POSITIONS = frozenset({
    "GEO", "TOPO", "BARY", "HELIO", "LSR", "LSRK", "LSRD", "GALACTIC_CENTER",
    "LOCAL_GROUP_CENTER", "MOON", "EMBARY", "MERCURY", "VENUS", "MARS", "JUPITER",
    "SATURN", "URANUS", "NEPTUNE", "PLUTO", "RELOCATABLE", "UNKNOWNREFPOS", "GEOLUN",
    "GEOLEO",
})

_KNOWN = "ICRS, FK5, FK4, galactic"


@dataclass(frozen=True)
class CoordSystem:
    """A packet's coordinate system: ``scale`` of its times (UTC when none is named),
    ``frame`` of its position (ICRS, FK5, FK4 or GALACTIC; None when it cannot be used,
    ``problem`` saying why)."""

    name: str | None
    scale: str
    frame: str | None
    problem: str | None = None


@dataclass(frozen=True)
class _Reading:
    name: str
    scale: str | None
    frame: str | None
    other: str | None  # a real frame that is not on the sky


def _read(name: str) -> _Reading:
    """The tokens of one id, each recognised by what it is."""
    scale = frame = other = None
    for token in name.strip().strip("/").upper().split("-"):
        token = token.strip()
        if token in TIME_SCALES and scale is None:
            scale = _SCALE_ALIASES.get(token, token)
        elif token in SKY_FRAMES and frame is None:
            frame = SKY_FRAMES[token]
        elif token in OTHER_FRAMES and other is None:
            other = token
    return _Reading(name, scale, frame, other)


def _href_name(element: etree._Element | None) -> str | None:
    """The STClib system a link names: ``ivo://STClib/CoordSys#UTC-FK5-GEO/`` gives
    ``UTC-FK5-GEO``."""
    if element is None:
        return None
    href = element.get(XLINK_HREF) or element.get("href")
    if not href:
        return None
    name = href.rpartition("#")[2].strip().strip("/")
    return name or None


def _shown(name: str, limit: int = 60) -> str:
    """A name as quoted in a flag: a packet's id may be as long as the packet."""
    return repr(name if len(name) <= limit else name[:limit] + "…")


def coord_system(location: etree._Element | None) -> CoordSystem:
    """The coordinate system of an ``ObservationLocation`` (None: no WhereWhen at all)."""
    if location is None:
        return CoordSystem(None, "UTC", "ICRS")
    coords = location.find("AstroCoords")
    system = location.find("AstroCoordSystem")
    names = [coords.get("coord_system_id") if coords is not None else None,
             system.get("id") if system is not None else None,
             _href_name(system)]
    readings = [_read(name) for name in dict.fromkeys(n.strip() for n in names if n and
                                                      n.strip())]
    if not readings:
        return CoordSystem(None, "UTC", "ICRS")  # VOEvent's default: nothing said
    scale = next((r.scale for r in readings if r.scale), "UTC")
    for reading in readings:
        if reading.frame:
            return CoordSystem(reading.name, reading.scale or scale, reading.frame)
    written = " / ".join(_shown(r.name) for r in readings)
    other = next((r for r in readings if r.other), None)
    if other is not None:
        why = (f"coordinate system {_shown(other.name)} gives {OTHER_FRAMES[other.other]}, "
               f"not a position on the sky ({_KNOWN})")
    else:
        why = f"coordinate system {written} names no sky frame PyROS knows ({_KNOWN})"
    return CoordSystem(readings[0].name, scale, None, why)
