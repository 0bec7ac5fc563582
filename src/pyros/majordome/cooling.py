"""The cameras' coolers through the night: cold (each channel's ``ccd_setpoint``) from a
little before dusk's bias and darks until dawn's are taken, then off, so the cameras
warm up through the day. Dusk's bias and darks wait until every camera is within
``[majordome.cooling] tolerance`` of its set-point — a dark taken warm is worth nothing
to a cold night's frames — up to ``timeout``; past it the night log says which camera
did not make it, at what temperature and cooler power, and they are taken all the same.

Plain Python: the majordome reads the cameras and writes the night log; this module
says what is wanted and words it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pyros.config.schema import Cooling, UnitConfig
from pyros.devices.errors import DeviceError
from pyros.devices.interfaces import Camera
from pyros.majordome.states import Phase
from pyros.majordome.sun import Sun

#: Degrees of sun altitude before dusk's bias and darks begin that the coolers start:
#: some 15 minutes, what the simulated cooler needs for 35 K.
COOL_AHEAD = 3.0


@dataclass(frozen=True)
class CameraTemperature:
    """One camera as last read; ``temperature`` None when it did not answer."""

    channel: str
    setpoint: float
    temperature: float | None
    power: float | None = None

    def is_cold(self, tolerance: float) -> bool:
        return self.temperature is not None and \
            abs(self.temperature - self.setpoint) <= tolerance

    def __str__(self) -> str:
        if self.temperature is None:
            return f"{self.channel} silent (set-point {self.setpoint:g} °C)"
        power = f", cooler {self.power:.0f} %" if self.power is not None else ""
        return (f"{self.channel} at {self.temperature:.1f} °C (set-point "
                f"{self.setpoint:g} °C{power})")


def cooled_channels(unit: UnitConfig) -> dict[str, float]:
    """The channels the majordome cools, with their set-points."""
    return {c.name: c.ccd_setpoint for c in unit.channels if c.ccd_setpoint is not None}


def wanted_cold(sun: Sun, darks_from_altitude: float, dawn_pending: bool) -> bool:
    """Whether the cameras should be cold now: from COOL_AHEAD degrees before dusk's
    darks (``darks_from_altitude``) through the night, until dawn's bias and darks are
    done (``dawn_pending`` False)."""
    if sun.phase != Phase.DAY:
        return True
    if sun.evening:
        return sun.altitude <= darks_from_altitude + COOL_AHEAD
    return dawn_pending


def steer_coolers(cameras: dict[str, Camera], setpoints: dict[str, float], cold: bool,
                  timeout: float) -> tuple[list[CameraTemperature], list[str]]:
    """Read each cooled camera and order its cooler where it differs from what is
    wanted (its set-point when ``cold``, else off). Returns the readings and a sentence
    per order (or per order refused), for the night log."""
    readings: list[CameraTemperature] = []
    said: list[str] = []
    for channel, setpoint in setpoints.items():
        camera = cameras.get(channel)
        if camera is None:
            continue
        try:
            status = camera.status(timeout)
        except DeviceError:
            readings.append(CameraTemperature(channel, setpoint, None))
            continue
        reading = CameraTemperature(channel, setpoint, status.ccd_temperature,
                                    status.cooler_power)
        readings.append(reading)
        wanted = setpoint if cold else None
        if status.cooler_setpoint == wanted:
            continue
        try:
            camera.set_cooler(wanted, timeout=timeout)
        except DeviceError as exc:
            said.append(f"{channel}: the cooler refused {'the set-point' if cold else 'off'}: "
                        f"{exc.reason}")
            continue
        said.append(f"{channel}: cooling to {setpoint:g} °C, now at "
                    f"{status.ccd_temperature:.1f} °C" if cold else
                    f"{channel}: cooler off, warming up from {status.ccd_temperature:.1f} °C")
    return readings, said


class ColdWait:
    """Dusk's wait for the cameras to be cold: ``check`` says whether the calibrations
    may begin, and what to write in the night log (once per wait)."""

    def __init__(self, settings: Cooling) -> None:
        self.settings = settings
        self.since: datetime | None = None
        self._said_waiting = False

    def check(self, cameras: list[CameraTemperature], now: datetime) -> tuple[bool, str]:
        """(may begin, a sentence for the night log or "")."""
        tolerance = self.settings.tolerance
        warm = [camera for camera in cameras if not camera.is_cold(tolerance)]
        if not warm:
            waited = self._end(now)
            if waited is None:
                return True, ""
            return True, (f"cameras cold after {waited:.0f} s: "
                          + "; ".join(str(c) for c in cameras))
        if self.since is None:
            self.since = now
        waited = (now - self.since).total_seconds()
        if waited > self.settings.timeout:
            self._end(now)
            return True, (f"cameras not cold within {self.settings.timeout:g} s: "
                          + "; ".join(str(c) for c in warm)
                          + ". The calibrations are taken at that temperature")
        if not self._said_waiting:
            self._said_waiting = True
            return False, (f"waiting for the cameras to cool within {tolerance:g} K of their "
                           "set-points before the bias and darks: "
                           + "; ".join(str(c) for c in warm))
        return False, ""

    def _end(self, now: datetime) -> float | None:
        """Forget the wait; how long it was (None when there was none)."""
        since, self.since, self._said_waiting = self.since, None, False
        return None if since is None else (now - since).total_seconds()
