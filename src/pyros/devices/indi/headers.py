"""The filter, pointing and focus keywords of an INDI camera's FITS files, made to agree
with the devices PyROS drives.

An INDI CCD driver writes FILTER, RA/DEC and FOCUSPOS from the devices it snoops
(``ACTIVE_DEVICES``). PyROS points it at the unit's mount, wheel and focuser, but a driver
may snoop a wheel of its own regardless (the CCD simulator writes its own wheel's 'Red'),
and cannot snoop a device on another indiserver. So the camera reads the devices itself
when the exposure starts, and rewrites the keywords that disagree, keeping the driver's
values in HISTORY cards.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from astropy import units as u
from astropy.coordinates import Angle
from astropy.io import fits

from pyros.devices.errors import DeviceError
from pyros.devices.interfaces import FilterWheel, Focuser, Mount

log = logging.getLogger(__name__)

#: Pointings closer than this (arcseconds) to the header's count as agreeing (the
#: driver's own ICRS conversion may differ from PyROS's by nutation and aberration).
POINTING_AGREEMENT = 60.0


@dataclass(frozen=True)
class Companions:
    """The devices whose state an image's header records (None: not in this channel)."""

    mount: Mount | None = None
    wheel: FilterWheel | None = None
    focuser: Focuser | None = None


@dataclass(frozen=True)
class Circumstances:
    """What the devices said when the exposure started (None: unknown)."""

    filter: str | None = None
    ra: float | None = None  # ICRS degrees
    dec: float | None = None
    focus: int | None = None


def read_circumstances(companions: Companions, timeout: float) -> Circumstances:
    """The devices' states; one that does not answer leaves its keywords as they are."""
    def ask(device: Mount | FilterWheel | Focuser | None):
        if device is None:
            return None
        try:
            return device.status(timeout)
        except DeviceError as error:
            log.warning("image header: %s did not answer (%s); its keywords stay the "
                        "driver's", error.device, error.reason)
            return None

    wheel, mount, focuser = (ask(companions.wheel), ask(companions.mount),
                             ask(companions.focuser))
    return Circumstances(filter=wheel.filter or None if wheel else None,
                         ra=mount.ra if mount else None, dec=mount.dec if mount else None,
                         focus=focuser.position if focuser else None)


def correct_header(path: Path, known: Circumstances) -> list[str]:
    """Rewrite the keywords of ``path`` that disagree with ``known``; return what changed
    (``KEY: driver's -> PyROS's``)."""
    changes: list[str] = []
    with fits.open(path, mode="update") as hdus:
        header = hdus[0].header
        if known.filter is not None and str(header.get("FILTER", "")).strip() != known.filter:
            changes.append(f"FILTER: {header.get('FILTER')!r} -> {known.filter!r}")
            header["FILTER"] = (known.filter, "Filter (from the filter wheel)")
        if known.focus is not None and header.get("FOCUSPOS") != known.focus:
            changes.append(f"FOCUSPOS: {header.get('FOCUSPOS')} -> {known.focus}")
            header["FOCUSPOS"] = (known.focus, "Focus position in steps (from the focuser)")
        if known.ra is not None and known.dec is not None:
            _pointing(header, known.ra, known.dec, changes)
        for change in changes:
            header.add_history(f"PyROS corrected {change}")
    if changes:
        log.info("%s: header corrected (%s)", path.name, "; ".join(changes))
    return changes


def _pointing(header: fits.Header, ra: float, dec: float, changes: list[str]) -> None:
    from pyros.devices.indi.devices import angular_distance

    driver_ra, driver_dec = header.get("RA"), header.get("DEC")
    if isinstance(driver_ra, float) and isinstance(driver_dec, float) and \
            angular_distance(ra, dec, driver_ra, driver_dec) * 3600 <= POINTING_AGREEMENT:
        return
    changes.append(f"RA/DEC: {driver_ra}/{driver_dec} -> {ra:.6f}/{dec:.6f}")
    header["RA"] = (ra, "Object ICRS RA in degrees (from the mount)")
    header["DEC"] = (dec, "Object ICRS DEC in degrees (from the mount)")
    header["OBJCTRA"] = (Angle(ra, u.deg).to_string(unit=u.hour, sep=" ", precision=2,
                                                    pad=True), "Object ICRS RA in hours")
    header["OBJCTDEC"] = (Angle(dec, u.deg).to_string(unit=u.deg, sep=" ", precision=2,
                                                      alwayssign=True, pad=True),
                          "Object ICRS DEC in degrees")
    header["EQUINOX"] = (2000, "Equinox")
