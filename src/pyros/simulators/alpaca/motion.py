"""Simulated Alpaca devices that move: telescope, dome, filter wheel, focuser. Each
motion is a start, an end and a start time; where it is now is computed when asked."""

from __future__ import annotations

from datetime import UTC, datetime

from pyros.simulators.alpaca.common import (
    INVALID_OPERATION,
    INVALID_VALUE,
    INVALID_WHILE_PARKED,
    NOT_IMPLEMENTED,
    AlpacaFault,
    SimClock,
    SimDevice,
    boolean,
    integer,
    number,
    progress,
)


class _Motion:
    """A linear motion of one value at ``rate`` per second (of the simulated clock)."""

    def __init__(self, value: float, rate: float, clock: SimClock, wrap: float = 0.0) -> None:
        self.rate, self.clock, self.wrap = rate, clock, wrap
        self.start = self.end = value
        self.t0, self.duration = 0.0, 0.0

    def value(self) -> float:
        now = progress(self.start, self.end, self.duration, self.clock.now() - self.t0)
        return now % self.wrap if self.wrap else now

    @property
    def moving(self) -> bool:
        return self.clock.now() - self.t0 < self.duration

    def go(self, target: float) -> None:
        here = self.value()
        distance = target - here
        if self.wrap:  # the short way round
            distance = (distance + self.wrap / 2) % self.wrap - self.wrap / 2
        self.start, self.end = here, here + distance
        self.t0, self.duration = self.clock.now(), abs(distance) / self.rate

    def stop(self) -> None:
        self.start = self.end = self.value()
        self.duration = 0.0


class SimTelescope(SimDevice):
    device_type = "telescope"
    interface_version = 4
    STATE = ("RightAscension", "Declination", "Slewing", "Tracking", "AtPark")
    PARK = (0.0, 89.9)  # RA hours, Dec degrees: the pole, a safe place

    def __init__(self, name: str, clock: SimClock, equatorial_system: int = 1) -> None:
        super().__init__(name, clock)
        self.equatorial_system = equatorial_system
        self.ra = _Motion(self.PARK[0], 2.0, clock, wrap=24.0)  # hours per second
        self.dec = _Motion(self.PARK[1], 30.0, clock)
        self.tracking = False
        self.parked, self.parking = True, False
        self.site = {"sitelatitude": 0.0, "sitelongitude": 0.0, "siteelevation": 0.0}

    def _moving(self) -> bool:
        return self.ra.moving or self.dec.moving

    def get_rightascension(self, params: dict) -> float:
        return self.ra.value()

    def get_declination(self, params: dict) -> float:
        return self.dec.value()

    def get_slewing(self, params: dict) -> bool:
        return self._moving()

    def get_tracking(self, params: dict) -> bool:
        return self.tracking

    def put_tracking(self, params: dict) -> None:
        tracking = boolean(params, "Tracking")
        if tracking and self.get_atpark(params):
            raise AlpacaFault(INVALID_WHILE_PARKED, "cannot track while parked")
        self.tracking = tracking

    def get_atpark(self, params: dict) -> bool:
        if self.parking and not self._moving():
            self.parked, self.parking = True, False
        return self.parked

    def get_equatorialsystem(self, params: dict) -> int:
        return self.equatorial_system

    def get_canpark(self, params: dict) -> bool:
        return True

    def get_cansettracking(self, params: dict) -> bool:
        return True

    def get_canslewasync(self, params: dict) -> bool:
        return True

    def get_utcdate(self, params: dict) -> str:
        return datetime.now(UTC).isoformat().replace("+00:00", "Z")

    def put_slewtocoordinatesasync(self, params: dict) -> None:
        ra, dec = number(params, "RightAscension"), number(params, "Declination")
        if not 0.0 <= ra < 24.0 or not -90.0 <= dec <= 90.0:
            raise AlpacaFault(INVALID_VALUE, f"RA {ra} h / Dec {dec} deg out of range")
        if self.get_atpark(params) or self.parking:
            raise AlpacaFault(INVALID_WHILE_PARKED, "the telescope is parked")
        if not self.tracking:
            raise AlpacaFault(INVALID_OPERATION, "an equatorial slew needs tracking on")
        self.ra.go(ra)
        self.dec.go(dec)

    def put_park(self, params: dict) -> None:
        if self.get_atpark(params):
            return
        self.tracking, self.parking = False, True
        self.ra.go(self.PARK[0])
        self.dec.go(self.PARK[1])

    def put_unpark(self, params: dict) -> None:
        self.parked = self.parking = False

    def put_abortslew(self, params: dict) -> None:
        if self.get_atpark(params):
            raise AlpacaFault(INVALID_WHILE_PARKED, "the telescope is parked")
        self.ra.stop()
        self.dec.stop()
        self.parking = False

    def _site(self, params: dict, name: str, low: float, high: float) -> None:
        value = number(params, name)
        if not low <= value <= high:
            raise AlpacaFault(INVALID_VALUE, f"{name} {value} is outside {low}..{high}")
        self.site[name.lower()] = value

    def get_sitelatitude(self, params: dict) -> float:
        return self.site["sitelatitude"]

    def put_sitelatitude(self, params: dict) -> None:
        self._site(params, "SiteLatitude", -90.0, 90.0)

    def get_sitelongitude(self, params: dict) -> float:
        return self.site["sitelongitude"]

    def put_sitelongitude(self, params: dict) -> None:
        self._site(params, "SiteLongitude", -180.0, 180.0)

    def get_siteelevation(self, params: dict) -> float:
        return self.site["siteelevation"]

    def put_siteelevation(self, params: dict) -> None:
        self._site(params, "SiteElevation", -300.0, 10000.0)


SHUTTER_OPEN, SHUTTER_CLOSED, SHUTTER_OPENING, SHUTTER_CLOSING, SHUTTER_ERROR = range(5)


class SimDome(SimDevice):
    device_type = "dome"
    interface_version = 3
    STATE = ("ShutterStatus", "Slewing", "AtPark", "Azimuth")
    SHUTTER_TIME = 4.0  # seconds to open or close

    def __init__(self, name: str, clock: SimClock, rolloff: bool = False) -> None:
        super().__init__(name, clock)
        self.rolloff = rolloff
        self.azimuth = _Motion(0.0, 20.0, clock, wrap=360.0)
        self.shutter = SHUTTER_CLOSED
        self.shutter_target: int | None = None
        self.shutter_t0 = 0.0
        self.slaved, self.parking, self.parked = False, False, True

    def get_shutterstatus(self, params: dict) -> int:
        if self.shutter_target is not None:
            if self.clock.now() - self.shutter_t0 >= self.SHUTTER_TIME:
                self.shutter, self.shutter_target = self.shutter_target, None
            else:
                return SHUTTER_OPENING if self.shutter_target == SHUTTER_OPEN else SHUTTER_CLOSING
        return self.shutter

    def _shutter_to(self, target: int) -> None:
        if self.get_shutterstatus({}) != target:
            self.shutter_target, self.shutter_t0 = target, self.clock.now()

    def put_openshutter(self, params: dict) -> None:
        self._shutter_to(SHUTTER_OPEN)

    def put_closeshutter(self, params: dict) -> None:
        self._shutter_to(SHUTTER_CLOSED)

    def get_slewing(self, params: dict) -> bool:
        self.get_shutterstatus(params)
        return self.azimuth.moving or self.shutter_target is not None

    def get_cansetazimuth(self, params: dict) -> bool:
        return not self.rolloff

    def get_canslave(self, params: dict) -> bool:
        return not self.rolloff

    def get_azimuth(self, params: dict) -> float:
        if self.rolloff:
            raise AlpacaFault(NOT_IMPLEMENTED, "a roll-off roof has no azimuth")
        return self.azimuth.value()

    def put_slewtoazimuth(self, params: dict) -> None:
        azimuth = number(params, "Azimuth")
        if self.rolloff:
            raise AlpacaFault(NOT_IMPLEMENTED, "a roll-off roof cannot turn")
        if not 0.0 <= azimuth < 360.0:
            raise AlpacaFault(INVALID_VALUE, f"azimuth {azimuth} is outside 0..360")
        self.parked = self.parking = False
        self.azimuth.go(azimuth)

    def get_slaved(self, params: dict) -> bool:
        return self.slaved

    def put_slaved(self, params: dict) -> None:
        slaved = boolean(params, "Slaved")
        if slaved and self.rolloff:
            raise AlpacaFault(NOT_IMPLEMENTED, "a roll-off roof cannot follow the mount")
        self.slaved = slaved

    def get_atpark(self, params: dict) -> bool:
        if self.parking and not self.azimuth.moving:
            self.parked, self.parking = True, False
        return self.parked

    def put_park(self, params: dict) -> None:
        self.parking, self.parked = True, False
        if not self.rolloff:
            self.azimuth.go(0.0)

    def put_abortslew(self, params: dict) -> None:
        self.azimuth.stop()
        self.parking = False
        if self.get_shutterstatus(params) in (SHUTTER_OPENING, SHUTTER_CLOSING):
            self.shutter, self.shutter_target = SHUTTER_ERROR, None


class SimFilterWheel(SimDevice):
    device_type = "filterwheel"
    interface_version = 3
    STATE = ("Position",)
    SLOT_TIME = 0.5  # seconds per slot

    def __init__(self, name: str, clock: SimClock, names: list[str]) -> None:
        super().__init__(name, clock)
        self.names = list(names)
        self.slot = _Motion(0.0, 1.0 / self.SLOT_TIME, clock)

    def get_names(self, params: dict) -> list[str]:
        return list(self.names)

    def get_focusoffsets(self, params: dict) -> list[int]:
        return [0] * len(self.names)

    def get_position(self, params: dict) -> int:
        return -1 if self.slot.moving else round(self.slot.value())

    def put_position(self, params: dict) -> None:
        slot = integer(params, "Position")
        if not 0 <= slot < len(self.names):
            raise AlpacaFault(INVALID_VALUE, f"position {slot} is outside 0..{len(self.names) - 1}")
        self.slot.go(float(slot))


class SimFocuser(SimDevice):
    device_type = "focuser"
    interface_version = 4
    STATE = ("Position", "IsMoving", "Temperature")
    MAX_STEP = 50_000

    def __init__(self, name: str, clock: SimClock, absolute: bool = True) -> None:
        super().__init__(name, clock)
        self.absolute = absolute  # False: a relative focuser, moved by steps
        self.position = _Motion(25_000.0, 10_000.0, clock)

    def get_absolute(self, params: dict) -> bool:
        return self.absolute

    def get_maxstep(self, params: dict) -> int:
        return self.MAX_STEP

    def get_maxincrement(self, params: dict) -> int:
        return self.MAX_STEP

    def get_position(self, params: dict) -> int:
        if not self.absolute:
            raise AlpacaFault(NOT_IMPLEMENTED, "a relative focuser has no position")
        return round(self.position.value())

    def get_ismoving(self, params: dict) -> bool:
        return self.position.moving

    def get_temperature(self, params: dict) -> float:
        return 8.5

    def put_move(self, params: dict) -> None:
        target = integer(params, "Position")
        if not self.absolute:  # steps to move by
            target += round(self.position.value())
        if not 0 <= target <= self.MAX_STEP:
            raise AlpacaFault(INVALID_VALUE, f"position {target} is outside 0..{self.MAX_STEP}")
        self.position.go(float(target))

    def put_halt(self, params: dict) -> None:
        self.position.stop()
