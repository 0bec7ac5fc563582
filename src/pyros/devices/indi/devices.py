"""The device interfaces over INDI's standard properties.

Each device holds a :class:`~pyros.devices.indi.client.DeviceLink` (several devices
share one indiserver connection) and, before every call, makes sure the driver is
connected (the ``CONNECTION`` switch) and set up for this connection: after indiserver
restarts, the drivers restart too and need their site, time and BLOB settings again.

Pointing: the mount takes ICRS positions and checks them against the horizon and its
limits before anything is sent. INDI's ``EQUATORIAL_EOD_COORD`` is in the equator and
equinox of date (JNow); the conversion is FK5 precession to the equinox of now (plus the
frame bias), which is what INDI drivers expect. It leaves out nutation and aberration,
at most ~40 arcsec, which a mount's own pointing model absorbs; the same conversion in
reverse makes the reported ICRS position agree with what was asked.

Aborts: INDI drivers answer an abort by setting the interrupted property Idle or Alert,
which ends the wait for it (or for the image) with a DeviceError; a device that was
aborted meanwhile raises MotionAborted or ExposureAborted instead. Watchdog: INDI's own
WatchDog driver (``indi_watchdog``) when the unit has one, which parks the mount and the
dome when its heartbeat stops (:mod:`pyros.devices.indi.watchdog`).
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

from astropy import units as u
from astropy.coordinates import FK5, SkyCoord
from astropy.time import Time

from pyros import astro, clock
from pyros.clock import Clock
from pyros.config.schema import Site
from pyros.devices.errors import (
    DeviceError,
    DeviceRefused,
    MotionAborted,
)
from pyros.devices.indi.client import DeviceLink, Property
from pyros.devices.indi.protocol import State
from pyros.devices.interfaces import (
    Dome,
    DomeStatus,
    FilterWheel,
    FilterWheelStatus,
    Focuser,
    FocuserStatus,
    Mount,
    MountCapabilities,
    MountStatus,
    ShutterState,
    WeatherReading,
    WeatherStation,
    WeatherStatus,
)
from pyros.devices.targets import check_target

if TYPE_CHECKING:
    from pyros.devices.indi.watchdog import IndiWatchdog

log = logging.getLogger(__name__)

#: A driver that has defined nothing new for this long (s) has sent its definitions.
SETTLE = 0.2

#: How close (in the property's units) a reported position must be to count as the
#: answer to a goto when the driver was never seen Busy: ~0.4 arcsec in Dec.
POSITION_TOLERANCE = 1e-4


def icrs_to_eod(ra: float, dec: float, when: datetime) -> tuple[float, float]:
    """ICRS degrees to INDI's JNow: RA in hours, Dec in degrees."""
    eod = SkyCoord(ra=ra * u.deg, dec=dec * u.deg, frame="icrs").transform_to(
        FK5(equinox=Time(when)))
    return float(eod.ra.hour), float(eod.dec.deg)


def angular_distance(ra1: float, dec1: float, ra2: float, dec2: float) -> float:
    """Degrees between two positions given in degrees (haversine: exact for the
    arcseconds a pointing check compares)."""
    p1, p2, dra = math.radians(dec1), math.radians(dec2), math.radians(ra2 - ra1)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dra / 2) ** 2
    return math.degrees(2 * math.asin(min(1.0, math.sqrt(h))))


def eod_to_icrs(ra_hours: float, dec: float, when: datetime) -> tuple[float, float]:
    """INDI's JNow (RA hours, Dec degrees) back to ICRS degrees."""
    icrs = SkyCoord(ra=ra_hours * u.hourangle, dec=dec * u.deg,
                    frame=FK5(equinox=Time(when))).icrs
    return float(icrs.ra.deg), float(icrs.dec.deg)


class _Deadline:
    def __init__(self, timeout: float) -> None:
        self._end = time.monotonic() + timeout

    def left(self) -> float:
        """Seconds left, never less than a short grace for one more exchange."""
        return max(self._end - time.monotonic(), 0.5)


class _IndiDevice:
    """What every INDI device does: connect its driver once per connection, then set
    itself up (:meth:`_setup`). ``_marker`` names properties a driver defines only once
    connected; seeing one tells that the driver's definitions have arrived."""

    name: str
    _marker: tuple[str, ...] = ()
    #: Properties whose values a status reports: never read from a placeholder.
    _values: tuple[str, ...] = ()

    def _init_link(self, link: DeviceLink) -> None:
        self.link = link
        self._set_up_for = -1  # the connection generation the driver was set up for
        self._aborts = 0  # abort orders sent: a wait that saw this change was aborted

    def _send_abort(self, name: str, timeout: float) -> None:
        """Order the abort switch ``name``. Counted before it is sent: the driver's
        reaction, which ends a waiting call, always comes after the count."""
        deadline = _Deadline(timeout)
        self._require(self._ready(timeout), name, "cannot abort")
        self._aborts += 1
        self.link.set(name, {"ABORT": True}, timeout=deadline.left(), echoes=False)

    @contextmanager
    def _abortable(self, what: str, aborted: type[DeviceError] = MotionAborted
                   ) -> Iterator[Callable[[], None]]:
        """A DeviceError inside, once this object's abort() has been called, is the
        driver stopping because of it: ``aborted`` tells the caller so. The function
        given raises ``aborted`` at once if abort() has been called."""
        start = self._aborts
        message = f"{what} was aborted before it finished"

        def stop_if_aborted() -> None:
            if self._aborts != start:
                raise aborted(self.name, message)

        try:
            yield stop_if_aborted
        except aborted:
            raise
        except DeviceError as error:
            if self._aborts == start:
                raise
            raise aborted(self.name, message) from error

    def connect(self, timeout: float = 10.0) -> None:
        deadline = _Deadline(timeout)
        connection = self.link.get("CONNECTION", timeout)
        connecting = not (connection.is_on("CONNECT") and connection.state is State.OK)
        if connecting:
            self.link.set("CONNECTION", {"CONNECT": True}, timeout=deadline.left())
        if self._marker:
            self.link.wait_any(self._marker, deadline.left())
            self.link.settle(SETTLE, deadline.left())
        if connecting:
            self._await_values(deadline)
        self._setup(deadline.left())
        self._set_up_for = self.link.generation

    def _await_values(self, deadline: _Deadline) -> None:
        """After connecting the driver, until the properties a status reports carry
        values: the driver defines them with placeholders first (a mount at 0h/0°, Idle),
        and a status read from those would be wrong rather than unknown."""
        properties = self.link.properties()
        for name in self._values:
            if name in properties and not properties[name].reported:
                self.link.wait(name, lambda p: p.reported, deadline.left(),
                               f"a value of {self.link.indi_device}.{name} (the driver "
                               "sent only the placeholder it defines on connecting)")

    def _ready(self, timeout: float) -> dict[str, Property]:
        """The device's properties, connecting and setting up the driver if needed."""
        if self._set_up_for == self.link.generation and self.link.client.is_connected:
            properties = self.link.properties()
            connection = properties.get("CONNECTION")
            if connection is not None and connection.is_on("CONNECT"):
                return properties
        self.connect(timeout)
        return self.link.properties()

    def _setup(self, timeout: float) -> None:
        """Settings the driver needs after every (re)connection."""

    def _require(self, properties: dict[str, Property], name: str, what: str) -> Property:
        prop = properties.get(name)
        if prop is None:
            raise DeviceError(self.name, f"{self.link.indi_device} has no {name} ({what})")
        return prop

    def _number(self, prop: Property, element: str) -> float:
        try:
            return prop.number(element)
        except KeyError:
            raise DeviceError(self.name, f"{prop.device}.{prop.name} reports no number "
                                         f"{element}") from None

    def _switch_if_off(self, properties: dict[str, Property], name: str, element: str,
                       timeout: float) -> None:
        """Turn a switch on if the driver has it and it is off (optional settings)."""
        prop = properties.get(name)
        if prop is not None and element in prop.values and not prop.is_on(element):
            self.link.set(name, {element: True}, timeout=timeout, echoes=False)


class _Watched:
    """The mount's and the dome's watchdog: INDI's WatchDog driver when the unit has one
    (:mod:`pyros.devices.indi.watchdog`), shared by both."""

    _watchdog: IndiWatchdog | None

    @property
    def has_watchdog(self) -> bool:
        return self._watchdog is not None

    def arm_watchdog(self, seconds: float, timeout: float = 5.0) -> None:
        if self._watchdog is None:
            raise DeviceRefused(self.name, "no watchdog: add indi_watchdog to the unit's "  # type: ignore[attr-defined]
                                           "devices (docs/devices.md)")
        self._watchdog.arm(seconds, timeout)

    def _tripped_at(self) -> datetime | None:
        return self._watchdog.tripped_at() if self._watchdog is not None else None


# --- mount ----------------------------------------------------------------------------


class IndiMount(_Watched, _IndiDevice, Mount):
    """An INDI telescope. ``clock`` gives the time for target checks and coordinate
    conversions (the process-wide clock when None); it must agree with the mount's.
    Its watchdog, if any, is INDI's WatchDog driver."""

    _marker = ("EQUATORIAL_EOD_COORD",)
    _values = ("EQUATORIAL_EOD_COORD",)

    def __init__(self, name: str, link: DeviceLink, site: Site,
                 capabilities: MountCapabilities, clock: Clock | None = None, *,
                 pointing_tolerance: float = 30.0, watchdog: IndiWatchdog | None = None
                 ) -> None:
        super().__init__(name)
        self._init_link(link)
        self.pointing_tolerance = pointing_tolerance  # arcseconds
        self.last_miss: float | None = None  # arcseconds, of the last slew waited for
        self._watchdog = watchdog
        self.site = site
        self._capabilities = capabilities
        self._clock = clock
        self._where = astro.location(site.latitude, site.longitude, site.elevation)

    @property
    def capabilities(self) -> MountCapabilities:
        return self._capabilities

    def _now(self) -> datetime:
        return self._clock.now() if self._clock is not None else clock.now()

    def _setup(self, timeout: float) -> None:
        deadline = _Deadline(timeout)
        properties = self.link.properties()
        if "GEOGRAPHIC_COORD" in properties:
            self.link.set("GEOGRAPHIC_COORD", {"LAT": self.site.latitude,
                                               "LONG": self.site.longitude % 360.0,
                                               "ELEV": self.site.elevation},
                          timeout=deadline.left(), echoes=False)
        if "TIME_UTC" in properties:
            self.link.set("TIME_UTC", {"UTC": self._now().strftime("%Y-%m-%dT%H:%M:%S"),
                                       "OFFSET": "0"}, timeout=deadline.left(), echoes=False)

    def status(self, timeout: float = 5.0) -> MountStatus:
        properties = self._ready(timeout)
        eod = self._require(properties, "EQUATORIAL_EOD_COORD", "no position")
        now = self._now()
        ra, dec = eod_to_icrs(self._number(eod, "RA"), self._number(eod, "DEC"), now)
        alt, az = astro.altaz(ra, dec, now, self._where)
        ha = astro.hour_angle(ra, now, self._where)
        park = properties.get("TELESCOPE_PARK")
        parked = park is not None and park.is_on("PARK") and park.state is State.OK
        track = properties.get("TELESCOPE_TRACK_STATE")
        tracking = track.is_on("TRACK_ON") if track is not None else \
            eod.state is State.OK and not parked
        limits = self._capabilities
        at_limit = not parked and (alt < limits.min_altitude or abs(ha) > limits.max_hour_angle)
        return MountStatus(connected=True, ra=ra, dec=dec, alt=alt, az=az, ha=ha,
                           # The driver may report the park done a moment before the
                           # position stops being Busy.
                           slewing=eod.state is State.BUSY and not parked,
                           tracking=tracking, parked=parked,
                           at_limit=at_limit, time=now,
                           watchdog_tripped_at=self._tripped_at())

    def slew(self, ra: float, dec: float, *, wait: bool = True, timeout: float = 300.0) -> None:
        """Tracking goes on before the goto: a driver asked to "track on arrival" with
        tracking off ends where the sky has drifted meanwhile (arcminutes after a long
        slew). With ``wait``, the mount then settles (``settle_time``) and the position
        reached is checked against the target: a miss beyond ``pointing_tolerance`` is
        a DeviceError that says by how much."""
        now = self._now()
        check_target(self.name, ra, dec, now, self.site, self._capabilities)
        deadline = _Deadline(timeout)
        properties = self._ready(deadline.left())
        park = properties.get("TELESCOPE_PARK")
        if not (park is not None and park.is_on("PARK")):  # a parked mount refuses the goto
            track = properties.get("TELESCOPE_TRACK_STATE")
            if track is not None and not track.is_on("TRACK_ON"):
                # INDI mounts keep the tracking switch Busy while they track.
                self.link.set("TELESCOPE_TRACK_STATE", {"TRACK_ON": True},
                              timeout=deadline.left(), wait=False)
        self._switch_if_off(properties, "ON_COORD_SET", "TRACK", deadline.left())
        ra_hours, dec_eod = icrs_to_eod(ra, dec, now)
        with self._abortable("the slew") as stop_if_aborted:
            self.link.set("EQUATORIAL_EOD_COORD", {"RA": ra_hours, "DEC": dec_eod},
                          timeout=deadline.left(), wait=wait, tolerance=POSITION_TOLERANCE)
            if not wait:
                return
            settled = time.monotonic() + self._capabilities.settle_time
            while time.monotonic() < settled:
                stop_if_aborted()
                time.sleep(min(0.1, max(settled - time.monotonic(), 0.0)))
            stop_if_aborted()
            self._check_arrival(ra_hours, dec_eod)

    def _check_arrival(self, ra_hours: float, dec: float) -> None:
        reached = self.link.get("EQUATORIAL_EOD_COORD", 5.0)
        miss = angular_distance(ra_hours * 15.0, dec, self._number(reached, "RA") * 15.0,
                                self._number(reached, "DEC")) * 3600.0
        self.last_miss = miss
        if miss > self.pointing_tolerance:
            raise DeviceError(self.name, f"the slew ended {miss:.1f}\" from the target "
                                         f"(tolerance {self.pointing_tolerance:g}\"): the "
                                         "mount did not arrive")

    def track(self, on: bool, timeout: float = 10.0) -> None:
        deadline = _Deadline(timeout)
        self._require(self._ready(timeout), "TELESCOPE_TRACK_STATE", "no tracking control")
        # Busy while tracking: the order is done once the driver accepted it.
        self.link.set("TELESCOPE_TRACK_STATE", {"TRACK_ON" if on else "TRACK_OFF": True},
                      timeout=deadline.left(), wait=not on)

    def park(self, *, wait: bool = True, timeout: float = 300.0) -> None:
        if not self._capabilities.can_park:
            raise DeviceRefused(self.name, "this mount is configured as unable to park")
        deadline = _Deadline(timeout)
        self._require(self._ready(timeout), "TELESCOPE_PARK", "cannot park")
        with self._abortable("parking"):
            self.link.set("TELESCOPE_PARK", {"PARK": True}, timeout=deadline.left(),
                          wait=wait)

    def unpark(self, timeout: float = 30.0) -> None:
        deadline = _Deadline(timeout)
        self._require(self._ready(timeout), "TELESCOPE_PARK", "cannot unpark")
        self.link.set("TELESCOPE_PARK", {"UNPARK": True}, timeout=deadline.left())

    def abort(self, timeout: float = 5.0) -> None:
        self._send_abort("TELESCOPE_ABORT_MOTION", timeout)


# --- dome -----------------------------------------------------------------------------


class IndiDome(_Watched, _IndiDevice, Dome):
    """An INDI dome, or a roll-off roof: a dome without ``ABS_DOME_POSITION``, opened by
    unparking and closed by parking as INDI's roll-off drivers do. Its watchdog, if any, is
    INDI's WatchDog driver."""

    _marker = ("DOME_SHUTTER", "DOME_PARK", "ABS_DOME_POSITION", "DOME_MOTION")

    def __init__(self, name: str, link: DeviceLink, *,
                 watchdog: IndiWatchdog | None = None) -> None:
        super().__init__(name)
        self._init_link(link)
        self._watchdog = watchdog

    def _setup(self, timeout: float) -> None:
        # Parking closes the shutter: what the watchdog's park is for.
        self._switch_if_off(self.link.properties(), "DOME_SHUTTER_PARK_POLICY",
                            "SHUTTER_CLOSE_ON_PARK", timeout)

    @property
    def is_rolloff(self) -> bool:
        return "ABS_DOME_POSITION" not in self._ready(10.0)

    def status(self, timeout: float = 5.0) -> DomeStatus:
        properties = self._ready(timeout)
        position = properties.get("ABS_DOME_POSITION")
        park = properties.get("DOME_PARK")
        motion = properties.get("DOME_MOTION")
        sync = properties.get("DOME_AUTOSYNC")
        moving = any(p is not None and p.state is State.BUSY for p in (position, motion))
        return DomeStatus(
            connected=True, shutter=self._shutter(properties),
            azimuth=self._number(position, "DOME_ABSOLUTE_POSITION") if position else None,
            moving=moving, following=sync is not None and sync.is_on("DOME_AUTOSYNC_ENABLE"),
            parked=park is not None and park.is_on("PARK") and park.state is State.OK,
            time=clock.now(), watchdog_tripped_at=self._tripped_at())

    @staticmethod
    def _shutter(properties: dict[str, Property]) -> ShutterState:
        shutter = properties.get("DOME_SHUTTER")
        if shutter is not None:
            opened, closed = shutter.is_on("SHUTTER_OPEN"), shutter.is_on("SHUTTER_CLOSE")
        elif (roof := properties.get("DOME_PARK")) is not None:
            shutter, opened, closed = roof, roof.is_on("UNPARK"), roof.is_on("PARK")
        else:
            return ShutterState.UNKNOWN
        if shutter.state is State.BUSY:
            return ShutterState.OPENING if opened else \
                ShutterState.CLOSING if closed else ShutterState.UNKNOWN
        if shutter.state is State.OK:
            return ShutterState.OPEN if opened else \
                ShutterState.CLOSED if closed else ShutterState.UNKNOWN
        return ShutterState.UNKNOWN

    def _move_shutter(self, opening: bool, wait: bool, timeout: float) -> None:
        deadline = _Deadline(timeout)
        properties = self._ready(timeout)
        if "DOME_SHUTTER" in properties:
            order = ("DOME_SHUTTER", "SHUTTER_OPEN" if opening else "SHUTTER_CLOSE")
        else:
            self._require(properties, "DOME_PARK", "neither a shutter nor a roof to move")
            order = ("DOME_PARK", "UNPARK" if opening else "PARK")
        with self._abortable("opening" if opening else "closing"):
            self.link.set(order[0], {order[1]: True}, timeout=deadline.left(), wait=wait)

    def open(self, *, wait: bool = True, timeout: float = 120.0) -> None:
        self._move_shutter(True, wait, timeout)

    def close(self, *, wait: bool = True, timeout: float = 120.0) -> None:
        self._move_shutter(False, wait, timeout)

    def goto_azimuth(self, azimuth: float, *, wait: bool = True, timeout: float = 180.0) -> None:
        if not 0.0 <= azimuth <= 360.0:
            raise DeviceRefused(self.name, f"azimuth {azimuth} is not in 0..360 degrees")
        deadline = _Deadline(timeout)
        self._require(self._ready(timeout), "ABS_DOME_POSITION", "a roll-off roof cannot turn")
        with self._abortable("the rotation"):
            self.link.set("ABS_DOME_POSITION", {"DOME_ABSOLUTE_POSITION": azimuth % 360.0},
                          timeout=deadline.left(), wait=wait, tolerance=0.1)

    def follow(self, on: bool, timeout: float = 10.0) -> None:
        deadline = _Deadline(timeout)
        self._require(self._ready(timeout), "DOME_AUTOSYNC", "cannot follow the mount")
        element = "DOME_AUTOSYNC_ENABLE" if on else "DOME_AUTOSYNC_DISABLE"
        self.link.set("DOME_AUTOSYNC", {element: True}, timeout=deadline.left())

    def park(self, *, wait: bool = True, timeout: float = 180.0) -> None:
        deadline = _Deadline(timeout)
        self._require(self._ready(timeout), "DOME_PARK", "cannot park")
        with self._abortable("parking"):
            self.link.set("DOME_PARK", {"PARK": True}, timeout=deadline.left(), wait=wait)

    def abort(self, timeout: float = 5.0) -> None:
        self._send_abort("DOME_ABORT_MOTION", timeout)


# --- filter wheel and focuser ---------------------------------------------------------


class IndiFilterWheel(_IndiDevice, FilterWheel):
    """An INDI filter wheel; filters are known by the names the driver holds."""

    _marker = ("FILTER_SLOT",)

    def __init__(self, name: str, link: DeviceLink, expected: list[str] | None = None) -> None:
        """``expected``: the channel's filters, each of which the wheel must hold."""
        super().__init__(name)
        self._init_link(link)
        self.expected = list(expected or [])

    def _setup(self, timeout: float) -> None:
        names = self._names(self.link.properties())
        missing = [f for f in self.expected if f not in names]
        if missing:
            raise DeviceError(self.name, f"{self.link.indi_device} has no filter "
                                         f"{', '.join(missing)} (its filters: "
                                         f"{', '.join(names) or 'none'}; fix the channel's "
                                         "filters or the wheel's FILTER_NAME)")

    @property
    def filters(self) -> list[str]:
        return self._names(self._ready(10.0))

    def _names(self, properties: dict[str, Property]) -> list[str]:
        names = properties.get("FILTER_NAME")
        if names is None:
            return []
        return [str(names.values.get(e.name, "")) for e in names.definition.elements]

    def status(self, timeout: float = 5.0) -> FilterWheelStatus:
        properties = self._ready(timeout)
        slot = self._require(properties, "FILTER_SLOT", "no slot")
        position = round(self._number(slot, "FILTER_SLOT_VALUE")) - 1
        names = self._names(properties)
        return FilterWheelStatus(
            connected=True, position=position,
            filter=names[position] if 0 <= position < len(names) else "",
            moving=slot.state is State.BUSY, time=clock.now())

    def set_filter(self, name: str, *, wait: bool = True, timeout: float = 60.0) -> None:
        deadline = _Deadline(timeout)
        names = self._names(self._ready(timeout))
        if name not in names:
            raise DeviceRefused(self.name, f"no filter {name!r} (filters: {', '.join(names)})")
        self.link.set("FILTER_SLOT", {"FILTER_SLOT_VALUE": names.index(name) + 1},
                      timeout=deadline.left(), wait=wait)


class IndiFocuser(_IndiDevice, Focuser):
    _marker = ("ABS_FOCUS_POSITION", "REL_FOCUS_POSITION")

    def __init__(self, name: str, link: DeviceLink) -> None:
        super().__init__(name)
        self._init_link(link)

    def status(self, timeout: float = 5.0) -> FocuserStatus:
        properties = self._ready(timeout)
        absolute = self._require(properties, "ABS_FOCUS_POSITION", "no absolute position")
        relative = properties.get("REL_FOCUS_POSITION")
        moving = any(p is not None and p.state is State.BUSY for p in (absolute, relative))
        probe = properties.get("FOCUS_TEMPERATURE")
        temperature = (self._number(probe, "TEMPERATURE") if probe is not None
                       and "TEMPERATURE" in probe.values else None)
        return FocuserStatus(connected=True,
                             position=round(self._number(absolute, "FOCUS_ABSOLUTE_POSITION")),
                             moving=moving, time=clock.now(), temperature=temperature)

    def move_to(self, position: int, *, wait: bool = True, timeout: float = 120.0) -> None:
        deadline = _Deadline(timeout)
        absolute = self._require(self._ready(timeout), "ABS_FOCUS_POSITION",
                                 "cannot move to a position")
        element = absolute.definition.elements[0]
        if element.minimum is not None and element.maximum is not None and \
                element.minimum < element.maximum and \
                not element.minimum <= position <= element.maximum:
            raise DeviceRefused(self.name, f"focus position {position} is outside "
                                           f"{element.minimum:g}..{element.maximum:g}")
        self.link.set("ABS_FOCUS_POSITION", {"FOCUS_ABSOLUTE_POSITION": position},
                      timeout=deadline.left(), wait=wait, tolerance=0.5)

    def move_by(self, steps: int, *, wait: bool = True, timeout: float = 120.0) -> None:
        """With ``REL_FOCUS_POSITION`` and ``FOCUS_MOTION`` (outward for positive steps),
        which focusers without an absolute encoder only have; else an absolute move."""
        deadline = _Deadline(timeout)
        properties = self._ready(timeout)
        if "REL_FOCUS_POSITION" not in properties or "FOCUS_MOTION" not in properties:
            super().move_by(steps, wait=wait, timeout=deadline.left())
            return
        if steps == 0:
            return
        direction = "FOCUS_OUTWARD" if steps > 0 else "FOCUS_INWARD"
        self.link.set("FOCUS_MOTION", {direction: True}, timeout=deadline.left(), echoes=False)
        self.link.set("REL_FOCUS_POSITION", {"FOCUS_RELATIVE_POSITION": abs(steps)},
                      timeout=deadline.left(), wait=wait, tolerance=0.5)
        if wait and "ABS_FOCUS_POSITION" in properties:
            # Some drivers call the relative order done while the motor still runs.
            self.link.wait("ABS_FOCUS_POSITION", lambda p: p.state is not State.BUSY,
                           deadline.left(), "the end of the focuser's motion")


# --- weather station ------------------------------------------------------------------

_UNIT = re.compile(r"\(([^)]*)\)\s*$")
_SAFETY: dict[State, bool | None] = {State.OK: True, State.BUSY: True, State.ALERT: False,
                                     State.IDLE: None}


class IndiWeatherStation(_IndiDevice, WeatherStation):
    """``WEATHER_PARAMETERS`` as readings (units from the driver's labels, values as the
    driver gives them); ``WEATHER_STATUS`` as the station's verdict: Alert is unsafe,
    Busy (a warning) is still safe, Idle is no verdict yet."""

    _marker = ("WEATHER_PARAMETERS",)

    def __init__(self, name: str, link: DeviceLink) -> None:
        super().__init__(name)
        self._init_link(link)

    def status(self, timeout: float = 5.0) -> WeatherStatus:
        properties = self._ready(timeout)
        parameters = self._require(properties, "WEATHER_PARAMETERS", "no weather parameters")
        verdict = properties.get("WEATHER_STATUS")
        valid = parameters.state in (State.OK, State.BUSY)
        readings = tuple(
            WeatherReading(sensor=self.link.indi_device, name=element.name,
                           value=_number_or_none(parameters.values.get(element.name)),
                           unit=_unit(element.label), valid=valid)
            for element in parameters.definition.elements)
        return WeatherStatus(connected=True,
                             safe=_SAFETY[verdict.state] if verdict is not None else None,
                             readings=readings, time=clock.now())


def _unit(label: str) -> str:
    match = _UNIT.search(label)
    return match.group(1) if match else ""


def _optional_number(prop: Property | None, element: str) -> float | None:
    """A number a driver may or may not offer (the cooler's power)."""
    if prop is None:
        return None
    try:
        return prop.number(element)
    except KeyError:
        return None


def _number_or_none(value: object) -> float | None:
    return value if isinstance(value, float) else None

