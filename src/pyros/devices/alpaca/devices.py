"""The mount (Alpaca ``telescope``) and the dome over Alpaca.

Pointing: the mount takes ICRS positions and checks them against the horizon and its
limits before anything is sent. An Alpaca telescope says in ``EquatorialSystem`` which
coordinates it speaks: topocentric (JNow, most mounts) is converted as for INDI (FK5 to
the equinox of now); J2000 is taken as ICRS (they differ by ~20 mas); J2050 and B1950 by
astropy's FK5 and FK4 frames.

Motions use the asynchronous members (``SlewToCoordinatesAsync``, ``OpenShutter``,
``SlewToAzimuth``, ``Park``) and poll ``Slewing``/``AtPark``/``ShutterStatus``; a
synchronous driver's ``Park`` simply answers once parked. No watchdog: Alpaca has none
(``has_watchdog`` is False), see docs/alpaca.md.
"""

from __future__ import annotations

import logging
from datetime import datetime

from astropy import units as u
from astropy.coordinates import FK4, FK5, SkyCoord

from pyros import astro, clock
from pyros.clock import Clock
from pyros.config.schema import Site
from pyros.devices.alpaca.base import AlpacaDevice, Deadline
from pyros.devices.alpaca.client import AlpacaLink
from pyros.devices.errors import DeviceError, DeviceRefused
from pyros.devices.indi.devices import eod_to_icrs, icrs_to_eod
from pyros.devices.interfaces import (
    Dome,
    DomeStatus,
    Mount,
    MountCapabilities,
    MountStatus,
    ShutterState,
)
from pyros.devices.targets import check_target

log = logging.getLogger(__name__)

TOPOCENTRIC, J2000, J2050, B1950 = 1, 2, 3, 4
_FRAMES = {J2050: FK5(equinox="J2050"), B1950: FK4(equinox="B1950")}


def to_mount(ra: float, dec: float, system: int, when: datetime) -> tuple[float, float]:
    """ICRS degrees to the mount's RA hours and Dec degrees."""
    if system == J2000:
        return ra / 15.0, dec
    if system in _FRAMES:
        there = SkyCoord(ra=ra * u.deg, dec=dec * u.deg, frame="icrs").transform_to(
            _FRAMES[system])
        return float(there.ra.hour), float(there.dec.deg)
    return icrs_to_eod(ra, dec, when)


def from_mount(ra_hours: float, dec: float, system: int, when: datetime) -> tuple[float, float]:
    """The mount's RA hours and Dec degrees to ICRS degrees."""
    if system == J2000:
        return (ra_hours * 15.0) % 360.0, dec
    if system in _FRAMES:
        icrs = SkyCoord(ra=ra_hours * u.hourangle, dec=dec * u.deg, frame=_FRAMES[system]).icrs
        return float(icrs.ra.deg), float(icrs.dec.deg)
    return eod_to_icrs(ra_hours, dec, when)


class AlpacaMount(AlpacaDevice, Mount):
    """An Alpaca telescope. ``clock`` gives the time for target checks and coordinate
    conversions (the process-wide clock when None); it must agree with the mount's."""

    _STATE = ("RightAscension", "Declination", "Slewing", "Tracking", "AtPark")

    def __init__(self, name: str, link: AlpacaLink, site: Site,
                 capabilities: MountCapabilities, clock: Clock | None = None) -> None:
        super().__init__(name)
        self._init_link(link)
        self.site = site
        self._capabilities = capabilities
        self._clock = clock
        self._where = astro.location(site.latitude, site.longitude, site.elevation)
        self._system = TOPOCENTRIC

    @property
    def capabilities(self) -> MountCapabilities:
        return self._capabilities

    def _now(self) -> datetime:
        return self._clock.now() if self._clock is not None else clock.now()

    def _setup(self, timeout: float) -> None:
        deadline = Deadline(timeout)
        try:
            self._system = int(self.link.get("equatorialsystem", deadline.left()))
        except DeviceRefused:
            self._system = TOPOCENTRIC  # not implemented: Alpaca's default
        for member, value in (("SiteLatitude", self.site.latitude),
                              ("SiteLongitude", self.site.longitude),
                              ("SiteElevation", self.site.elevation)):
            try:
                if abs(float(self.link.get(member, deadline.left())) - value) > 1e-5:
                    self.link.put(member, deadline.left(), **{member: value})
            except DeviceRefused as error:  # a mount that keeps its own site
                log.info("%s: site not set: %s", self.name, error.reason)

    def status(self, timeout: float = 5.0) -> MountStatus:
        values = self.link.state(self._STATE, timeout)
        now = self._now()
        ra, dec = from_mount(float(values["RightAscension"]), float(values["Declination"]),
                             self._system, now)
        alt, az = astro.altaz(ra, dec, now, self._where)
        ha = astro.hour_angle(ra, now, self._where)
        parked = bool(values["AtPark"])
        limits = self._capabilities
        return MountStatus(connected=True, ra=ra, dec=dec, alt=alt, az=az, ha=ha,
                           slewing=bool(values["Slewing"]), tracking=bool(values["Tracking"]),
                           parked=parked,
                           at_limit=not parked and (alt < limits.min_altitude
                                                    or abs(ha) > limits.max_hour_angle),
                           time=now)

    def slew(self, ra: float, dec: float, *, wait: bool = True, timeout: float = 300.0) -> None:
        now = self._now()
        check_target(self.name, ra, dec, now, self.site, self._capabilities)
        deadline = Deadline(timeout)
        started = self._aborts
        if not self.link.get("tracking", deadline.left()):
            # Equatorial slews are refused while not tracking (ITelescope).
            self.link.put("tracking", deadline.left(), Tracking=True)
        ra_hours, dec_mount = to_mount(ra, dec, self._system, now)
        self.link.put("slewtocoordinatesasync", deadline.left(),
                      RightAscension=ra_hours % 24.0, Declination=dec_mount)
        if wait:
            self._wait(lambda: not self.link.get("slewing", deadline.left()), deadline.left(),
                       "the slew", started)

    def track(self, on: bool, timeout: float = 10.0) -> None:
        self.link.put("tracking", timeout, Tracking=on)

    def park(self, *, wait: bool = True, timeout: float = 300.0) -> None:
        if not self._capabilities.can_park:
            raise DeviceRefused(self.name, "this mount is configured as unable to park")
        deadline = Deadline(timeout)
        started = self._aborts
        self.link.put("park", deadline.left())
        if wait:
            self._wait(lambda: bool(self.link.get("atpark", deadline.left())),
                       deadline.left(), "parking", started)

    def unpark(self, timeout: float = 30.0) -> None:
        self.link.put("unpark", timeout)

    def abort(self, timeout: float = 5.0) -> None:
        self._count_abort()
        try:
            self.link.put("abortslew", timeout)
        except DeviceRefused as error:
            if getattr(error, "alpaca_number", None) != 0x408:  # parked: nothing moves
                raise


_SHUTTER = {0: ShutterState.OPEN, 1: ShutterState.CLOSED, 2: ShutterState.OPENING,
            3: ShutterState.CLOSING, 4: ShutterState.UNKNOWN}


class AlpacaDome(AlpacaDevice, Dome):
    """An Alpaca dome, or a roll-off roof: a dome that cannot set its azimuth
    (``CanSetAzimuth`` False), whose shutter is the roof."""

    def __init__(self, name: str, link: AlpacaLink) -> None:
        super().__init__(name)
        self._init_link(link)
        self._rotates: bool | None = None

    def _setup(self, timeout: float) -> None:
        self._rotates = bool(self.link.get("cansetazimuth", timeout))

    @property
    def is_rolloff(self) -> bool:
        if self._rotates is None:
            self.connect(10.0)
        return not self._rotates

    def status(self, timeout: float = 5.0) -> DomeStatus:
        if self._rotates is None:
            self.connect(timeout)
        names = ("ShutterStatus", "Slewing", "AtPark") + (("Azimuth",) if self._rotates else ())
        values = self.link.state(names, timeout)
        following = bool(self.link.get("slaved", timeout)) if self._rotates else False
        return DomeStatus(connected=True, shutter=_SHUTTER.get(values["ShutterStatus"],
                                                               ShutterState.UNKNOWN),
                          azimuth=float(values["Azimuth"]) if self._rotates else None,
                          moving=bool(values["Slewing"]), following=following,
                          parked=bool(values["AtPark"]), time=clock.now())

    def _shutter(self, member: str, wanted: ShutterState, wait: bool, timeout: float) -> None:
        deadline = Deadline(timeout)
        started = self._aborts
        self.link.put(member, deadline.left())

        def arrived() -> bool:
            code = self.link.get("shutterstatus", deadline.left())
            if code == 4:
                raise DeviceError(self.name, f"the shutter reports an error during {member}")
            return _SHUTTER.get(code) == wanted

        if wait:
            self._wait(arrived, deadline.left(), f"the shutter's {member}", started)

    def open(self, *, wait: bool = True, timeout: float = 120.0) -> None:
        self._shutter("openshutter", ShutterState.OPEN, wait, timeout)

    def close(self, *, wait: bool = True, timeout: float = 120.0) -> None:
        self._shutter("closeshutter", ShutterState.CLOSED, wait, timeout)

    def goto_azimuth(self, azimuth: float, *, wait: bool = True, timeout: float = 180.0) -> None:
        if not 0.0 <= azimuth <= 360.0:
            raise DeviceRefused(self.name, f"azimuth {azimuth} is not in 0..360 degrees")
        if self.is_rolloff:
            raise DeviceRefused(self.name, "a roll-off roof cannot turn")
        deadline = Deadline(timeout)
        started = self._aborts
        self.link.put("slewtoazimuth", deadline.left(), Azimuth=azimuth % 360.0)
        if wait:
            self._wait(lambda: not self.link.get("slewing", deadline.left()), deadline.left(),
                       "the rotation", started)

    def follow(self, on: bool, timeout: float = 10.0) -> None:
        self.link.put("slaved", timeout, Slaved=on)

    def park(self, *, wait: bool = True, timeout: float = 180.0) -> None:
        deadline = Deadline(timeout)
        started = self._aborts
        self.link.put("park", deadline.left())
        if wait:
            self._wait(lambda: bool(self.link.get("atpark", deadline.left())),
                       deadline.left(), "parking", started)

    def abort(self, timeout: float = 5.0) -> None:
        self._count_abort()
        self.link.put("abortslew", timeout)
