"""The simulated devices' behaviour, driven by the Clock: positions and states are
computed from the time elapsed since the last order, so a fast simulated clock runs a
whole night's motions in minutes without any loop ticking in the background.

The mount and the dome have a watchdog (:class:`WatchdogTimer`); the server checks it
and calls their ``make_safe``.

Timings: the mount slews at the configured rates then settles; the dome rotates at
``DOME_ROTATION_RATE`` and its shutter takes ``SHUTTER_TIME``; a filter change takes the
channel's ``filter_change_time``; a readout the channel's ``readout_time``.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from datetime import datetime

from pyros import astro
from pyros.clock import Clock
from pyros.config.pointing import SimulatedFocus, SimulatedPointingError
from pyros.config.schema import Channel, UnitConfig
from pyros.devices.interfaces import CameraState, ShutterState
from pyros.pointing.model import PointingModel

SHUTTER_TIME = 30.0  # seconds to open or close
DOME_ROTATION_RATE = 5.0  # degrees per second
FOCUSER_RATE = 500.0  # steps per second
#: The simulated CCD cooler (a thermoelectric one, as on most science CCDs): the
#: temperature moves at most COOLING_RATE towards its goal (makers advise a few degrees
#: a minute against thermal stress), then settles exponentially with
#: COOLING_TIME_CONSTANT; the cooler holds at most COOLER_MAX_DELTA below the ambient.
COOLING_RATE = 5.0 / 60.0  # kelvin per second
COOLING_TIME_CONSTANT = 60.0  # seconds
COOLER_MAX_DELTA = 50.0  # kelvin below the ambient at full power
PARK_ALT, PARK_AZ = 89.0, 0.0


class Refused(Exception):
    """The simulated hardware refuses the order (the client says why to the user)."""


def _angle(a: float, b: float) -> float:
    """Signed shortest rotation from a to b, degrees."""
    return (b - a + 180.0) % 360.0 - 180.0


@dataclass
class Motion:
    start: datetime
    duration: float  # seconds

    def fraction(self, now: datetime) -> float:
        if self.duration <= 0:
            return 1.0
        return min(1.0, max(0.0, (now - self.start).total_seconds() / self.duration))

    def done(self, now: datetime) -> bool:
        return self.fraction(now) >= 1.0


@dataclass
class WatchdogTimer:
    """The second safety layer: a deadline that the majordome's heartbeat keeps pushing
    back; once it passes, the device makes itself safe.

    The deadline counts **wall seconds**, not the clock's: it guards against a process
    that stopped (the majordome dead or hung, its computer down, the network cut), and
    processes live in wall time whatever the simulated clock's speed. The majordome sends
    its heartbeats on wall time too, every quarter of the period. Counted on a clock at
    ``--speed 20``, a 60 s watchdog would give the majordome 3 s of wall time, which one
    decision waiting for a slow device on a loaded machine can take: the devices closed in
    the middle of a safe night. A simulated clock set forward (tests, benchmarks) does not
    trip it either. When it trips is said on the clock (``tripped_at``)."""

    clock: Clock
    seconds: float = 0.0  # 0: disarmed
    deadline: float | None = None  # time.monotonic()
    tripped_at: datetime | None = None  # the last time it expired, on the clock

    def arm(self, seconds: float) -> None:
        seconds = float(seconds)
        if not 0.0 <= seconds <= 86_400.0:
            raise Refused(f"watchdog period {seconds} s outside 0..86400 s (0 disarms)")
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds if seconds else None

    def expired(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def trip(self, now: datetime) -> None:
        """Disarm and remember when: a client sees it in the device's status."""
        self.deadline, self.tripped_at = None, now

    def status(self) -> dict:
        tripped = self.tripped_at.isoformat() if self.tripped_at is not None else None
        return {"watchdog_tripped_at": tripped}


class MountModel:
    def __init__(self, unit: UnitConfig, clock: Clock) -> None:
        self.unit, self.clock = unit, clock
        self.where = astro.location(unit.site.latitude, unit.site.longitude,
                                    unit.site.elevation)
        self.tracking = False
        self.parked = True
        self.fixed_altaz: tuple[float, float] | None = (PARK_ALT, PARK_AZ)
        self.radec = self._radec_of(PARK_ALT, PARK_AZ, clock.now())
        self.origin = self.radec
        self.target: tuple[float, float] | None = None
        self.motion: Motion | None = None
        self.park_after = False
        self.watchdog = WatchdogTimer(clock)
        self.error = TruePointingError(unit.mount.simulated_error, unit.site.latitude)
        self.sky_offset = (0.0, 0.0)  # degrees: where it truly points − where it says

    def _lst(self, when: datetime) -> float:
        """Local sidereal time, degrees."""
        ra = self.radec[0] if self.radec else 0.0
        return (astro.hour_angle(ra, when, self.where) * 15.0 + ra) % 360.0

    def sky_position(self, now: datetime) -> tuple[float, float]:
        """Where the telescope truly points (the camera sees this sky), which differs
        from :meth:`position` by the configured pointing error."""
        ra, dec = self.position(now)
        return (ra + self.sky_offset[0]) % 360.0, max(-90.0, min(90.0, dec + self.sky_offset[1]))

    def _radec_of(self, alt: float, az: float, when: datetime) -> tuple[float, float]:
        return astro.radec_from_altaz(alt, az, when, self.where)

    def _slew_seconds(self, ra0: float, dec0: float, ra1: float, dec1: float) -> float:
        mount = self.unit.mount
        return max(abs(_angle(ra0, ra1)) / mount.slew_rate_ra,
                   abs(dec1 - dec0) / mount.slew_rate_dec) + mount.settle_time

    def position(self, now: datetime) -> tuple[float, float]:
        """Where the mount points now (ICRS degrees)."""
        if self.motion is not None:
            f = self.motion.fraction(now)
            (ra0, dec0), (ra1, dec1) = self.origin, self.target
            if f >= 1.0:
                self._arrive(now)
            else:
                return ((ra0 + f * _angle(ra0, ra1)) % 360.0, dec0 + f * (dec1 - dec0))
        if self.fixed_altaz is not None:  # not tracking: the sky turns under the mount
            return self._radec_of(*self.fixed_altaz, now)
        return self.radec

    def _arrive(self, now: datetime) -> None:
        self.radec, self.motion = self.target, None
        if self.park_after:
            self.parked, self.park_after, self.tracking = True, False, False
            self.fixed_altaz = (PARK_ALT, PARK_AZ)
        else:
            self.fixed_altaz = None if self.tracking else astro.altaz(*self.radec, now,
                                                                        self.where)

    def slew(self, ra: float, dec: float) -> float:
        if self.parked:
            raise Refused("the mount is parked: unpark it first")
        now = self.clock.now()
        alt, _ = astro.altaz(ra, dec, now, self.where)
        if alt < self.unit.mount.limits.min_altitude:
            raise Refused(f"target at altitude {alt:.1f} deg is below the mount limit")
        self.origin = self.position(now)
        self.target = (ra, dec)
        self.motion = Motion(now, self._slew_seconds(*self.origin, ra, dec))
        self.tracking, self.fixed_altaz = True, None
        self.sky_offset = self.error.offset(ra, dec, self._lst(now))
        return self.motion.duration

    def park(self) -> float:
        now = self.clock.now()
        self.origin = self.position(now)
        self.target = self._radec_of(PARK_ALT, PARK_AZ, now)
        self.motion = Motion(now, self._slew_seconds(*self.origin, *self.target))
        self.park_after = True
        self.sky_offset = (0.0, 0.0)
        return self.motion.duration

    def unpark(self) -> None:
        self.parked = False

    def make_safe(self) -> str:
        """Park, unless parked or parking already; say what was done."""
        self.position(self.clock.now())  # a park that has ended is seen as ended
        if self.park_after:
            return "the mount is already parking"
        if self.parked:
            return "the mount is already parked"
        self.park()
        return "parking the mount"

    def track(self, on: bool) -> None:
        now = self.clock.now()
        self.radec = self.position(now)
        self.tracking = on
        self.fixed_altaz = None if on else astro.altaz(*self.radec, now, self.where)

    def abort(self) -> None:
        now = self.clock.now()
        if self.motion is not None:
            self.radec = self.position(now)
            self.motion, self.park_after = None, False
            self.fixed_altaz = None if self.tracking else astro.altaz(*self.radec, now,
                                                                        self.where)

    def status(self) -> dict:
        now = self.clock.now()
        ra, dec = self.position(now)
        alt, az = astro.altaz(ra, dec, now, self.where)
        ha = astro.hour_angle(ra, now, self.where)
        limits = self.unit.mount.limits
        return {"connected": True, "ra": ra, "dec": dec, "alt": alt, "az": az, "ha": ha,
                "slewing": self.motion is not None, "tracking": self.tracking,
                "parked": self.parked and self.motion is None,
                "at_limit": alt < limits.min_altitude or abs(ha) > limits.max_hour_angle,
                "time": now.isoformat(), **self.watchdog.status()}


class TruePointingError:
    """The simulated mount's pointing error: a TPOINT model (``[mount.simulated_error]``)
    plus a random error drawn at each slew, so that a fitted model can be checked
    against the truth."""

    def __init__(self, config: SimulatedPointingError, latitude: float) -> None:
        self.model = PointingModel(dict(config.terms), latitude) if config.terms else None
        self.noise = config.noise
        self.random = random.Random(config.seed)

    def offset(self, ra: float, dec: float, lst: float) -> tuple[float, float]:
        """(dra, ddec) in degrees from where a mount sent to (ra, dec) says it points
        to where it truly points."""
        sky_ra, sky_dec = (self.model.sky_position(ra, dec, lst) if self.model is not None
                           else (ra, dec))
        east, north = (self.random.gauss(0.0, self.noise) / 3600.0 for _ in range(2))
        cosd = max(math.cos(math.radians(sky_dec)), 1e-6)
        return _angle(ra, sky_ra) + east / cosd, sky_dec - dec + north


@dataclass
class DomeModel:
    clock: Clock
    shutter: ShutterState = ShutterState.CLOSED
    shutter_motion: Motion | None = None
    stuck: bool = False  # failure injection: the shutter never finishes moving
    azimuth: float = 0.0
    az_origin: float = 0.0
    az_target: float = 0.0
    rotation: Motion | None = None
    following: bool = False
    parked: bool = True
    watchdog: WatchdogTimer = field(init=False)

    def __post_init__(self) -> None:
        self.watchdog = WatchdogTimer(self.clock)

    def _settle(self, now: datetime) -> None:
        if self.shutter_motion and self.shutter_motion.done(now) and not self.stuck:
            self.shutter = (ShutterState.OPEN if self.shutter == ShutterState.OPENING
                            else ShutterState.CLOSED)
            self.shutter_motion = None
        if self.rotation is not None:
            f = self.rotation.fraction(now)
            self.azimuth = (self.az_origin + f * _angle(self.az_origin, self.az_target)) % 360
            if f >= 1.0:
                self.rotation = None

    def move_shutter(self, opening: bool) -> float:
        now = self.clock.now()
        self._settle(now)
        wanted = ShutterState.OPEN if opening else ShutterState.CLOSED
        if self.shutter == wanted:
            return 0.0
        self.shutter = ShutterState.OPENING if opening else ShutterState.CLOSING
        self.shutter_motion = Motion(now, SHUTTER_TIME)
        self.parked = False
        return SHUTTER_TIME

    def goto(self, azimuth: float) -> float:
        now = self.clock.now()
        self._settle(now)
        self.az_origin, self.az_target = self.azimuth, azimuth % 360.0
        seconds = abs(_angle(self.azimuth, azimuth)) / DOME_ROTATION_RATE
        self.rotation = Motion(now, seconds)
        self.parked = False
        return seconds

    def make_safe(self) -> str:
        """Close the shutter, unless closed or closing already; say what was done."""
        self._settle(self.clock.now())
        if self.shutter in (ShutterState.CLOSED, ShutterState.CLOSING):
            return f"the shutter is already {self.shutter.value.lower()}"
        self.move_shutter(False)
        return "closing the shutter"

    def abort(self) -> None:
        now = self.clock.now()
        self._settle(now)
        self.rotation = None
        if self.shutter_motion is not None:
            self.shutter, self.shutter_motion = ShutterState.UNKNOWN, None

    def status(self, mount_azimuth: float | None) -> dict:
        now = self.clock.now()
        self._settle(now)
        if self.following and mount_azimuth is not None and self.rotation is None \
                and abs(_angle(self.azimuth, mount_azimuth)) > 1.0:
            self.goto(mount_azimuth)
        moving = self.rotation is not None or self.shutter_motion is not None
        return {"connected": True, "shutter": self.shutter.value, "azimuth": self.azimuth,
                "moving": moving, "following": self.following,
                "parked": self.parked and not moving, "time": now.isoformat(),
                **self.watchdog.status()}


@dataclass
class CameraModel:
    channel: Channel
    clock: Clock
    state: CameraState = CameraState.IDLE
    exposure: Motion | None = None  # exposure then readout
    exposure_seconds: float = 0.0
    ambient: float = 15.0
    cooler_setpoint: float | None = None
    cooling_from: tuple[datetime, float] | None = None  # when the set-point changed, at what
    last_image: str | None = None
    exposures: int = 0  # exposures started: each one's number
    last_exposure: int = 0  # the number of the exposure that wrote last_image
    error: str = ""
    filter_position: int = 0
    filter_motion: Motion | None = None
    pending: dict = field(default_factory=dict)

    @property
    def filter(self) -> str:
        return self.channel.filters[self.filter_position]

    def goal(self) -> float:
        """Where the CCD is heading: the set-point, as far as the cooler can reach; the
        ambient with the cooler off."""
        if self.cooler_setpoint is None:
            return self.ambient
        return max(self.cooler_setpoint, self.ambient - COOLER_MAX_DELTA)

    def temperature(self) -> float:
        """The CCD on its way from where it was when the set-point changed to the goal:
        a ramp at COOLING_RATE, then an exponential settling whose slope joins it (it
        begins within COOLING_RATE × COOLING_TIME_CONSTANT of the goal)."""
        goal = self.goal()
        if self.cooling_from is None:
            return goal
        since, start = self.cooling_from
        elapsed = max(0.0, (self.clock.now() - since).total_seconds())
        gap = start - goal
        band = COOLING_RATE * COOLING_TIME_CONSTANT
        ramp = max(0.0, (abs(gap) - band) / COOLING_RATE)
        if elapsed < ramp:
            return start - math.copysign(COOLING_RATE * elapsed, gap)
        left = min(abs(gap), band)
        return goal + math.copysign(left, gap) * math.exp(
            -(elapsed - ramp) / COOLING_TIME_CONSTANT)

    def cooler_power(self) -> float:
        """Percent: full while pulling the CCD down to its goal or when the set-point is
        deeper than it can reach, else what holding it that far below the ambient
        takes; 0 with the cooler off."""
        if self.cooler_setpoint is None:
            return 0.0
        temperature = self.temperature()
        if temperature - self.goal() > 0.5 or self.cooler_setpoint < self.goal():
            return 100.0  # pulling down, or at the most it can do
        held = (self.ambient - temperature) / COOLER_MAX_DELTA
        return round(100.0 * min(1.0, max(0.0, held)), 1)

    def set_cooler(self, setpoint: float | None) -> None:
        if setpoint is not None and not -100.0 <= setpoint <= 30.0:
            raise Refused(f"cooler set-point {setpoint} C outside -100..30")
        self.cooling_from = (self.clock.now(), self.temperature())
        self.cooler_setpoint = setpoint

    def start_exposure(self, seconds: float, request: dict) -> float:
        if self.state in (CameraState.EXPOSING, CameraState.READING):
            raise Refused("the camera is already exposing")
        if self.filter_motion is not None and not self.filter_motion.done(self.clock.now()):
            raise Refused("the filter wheel is moving")
        self.state, self.error = CameraState.EXPOSING, ""
        self.exposures += 1
        self.exposure_seconds = seconds
        self.exposure = Motion(self.clock.now(), seconds + self.channel.readout_time)
        self.pending = request
        return seconds + self.channel.readout_time

    def phase(self) -> CameraState:
        if self.exposure is None:
            return self.state
        elapsed = (self.clock.now() - self.exposure.start).total_seconds()
        return CameraState.EXPOSING if elapsed < self.exposure_seconds else CameraState.READING

    def abort(self) -> None:
        self.exposure, self.pending, self.state = None, {}, CameraState.IDLE

    def set_filter(self, name: str) -> float:
        if name not in self.channel.filters:
            raise Refused(f"no filter '{name}' (filters: {', '.join(self.channel.filters)})")
        if self.state != CameraState.IDLE:
            raise Refused("the camera is exposing: the filter cannot change now")
        position = self.channel.filters.index(name)
        seconds = 0.0 if position == self.filter_position else self.channel.filter_change_time
        self.filter_position = position
        self.filter_motion = Motion(self.clock.now(), seconds)
        return seconds

    def status(self) -> dict:
        now = self.clock.now()
        left = 0.0
        if self.exposure is not None:
            left = max(0.0, self.exposure_seconds - (now - self.exposure.start).total_seconds())
        return {"connected": True, "state": self.phase().value,
                "ccd_temperature": self.temperature(), "cooler_setpoint": self.cooler_setpoint,
                "cooler_power": self.cooler_power(),
                "exposure_left": left, "last_image": self.last_image,
                "last_exposure": self.last_exposure, "error": self.error,
                "time": now.isoformat()}

    def filter_status(self) -> dict:
        now = self.clock.now()
        moving = self.filter_motion is not None and not self.filter_motion.done(now)
        return {"connected": True, "position": self.filter_position, "filter": self.filter,
                "moving": moving, "time": now.isoformat()}


@dataclass
class FocuserModel:
    """A focuser with a temperature probe on the tube; its optics (``optics``) say how
    far from best focus it is, which the camera turns into blur."""

    clock: Clock
    optics: SimulatedFocus = field(default_factory=SimulatedFocus)
    position: int = 25_000
    origin: int = 25_000
    target: int = 25_000
    motion: Motion | None = None
    max_position: int = 50_000
    started: datetime | None = None

    def __post_init__(self) -> None:
        self.started = self.clock.now()

    def temperature(self) -> float:
        """The tube's temperature: the configured start, drifting at the configured
        rate with the clock."""
        hours = (self.clock.now() - self.started).total_seconds() / 3600.0
        return self.optics.temperature + self.optics.temperature_rate * hours

    def best_position(self) -> float:
        """Where the stars are sharpest at the tube's temperature now."""
        o = self.optics
        return o.best_position + o.steps_per_degree * (self.temperature()
                                                       - o.reference_temperature)

    def blur(self) -> float:
        """FWHM (arcsec) the defocus adds in quadrature to the seeing."""
        return self.optics.blur_per_step * abs(self.current() - self.best_position())

    def move_to(self, position: int) -> float:
        if not 0 <= position <= self.max_position:
            raise Refused(f"position {position} outside 0..{self.max_position}")
        self.origin = self.current()
        self.target = position
        seconds = abs(position - self.origin) / FOCUSER_RATE
        self.motion = Motion(self.clock.now(), seconds)
        return seconds

    def current(self) -> int:
        if self.motion is None:
            return self.position
        f = self.motion.fraction(self.clock.now())
        self.position = round(self.origin + f * (self.target - self.origin))
        if f >= 1.0:
            self.motion = None
        return self.position

    def status(self) -> dict:
        position = self.current()
        return {"connected": True, "position": position, "moving": self.motion is not None,
                "temperature": round(self.temperature(), 3),
                "time": self.clock.now().isoformat()}


def airmass(alt: float) -> float:
    """Kasten & Young (1989): good to the horizon."""
    return 1.0 / (math.sin(math.radians(alt)) + 0.50572 * (alt + 6.07995) ** -1.6364)
