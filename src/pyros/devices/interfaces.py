"""What every backend of a device offers. Pages, agents and the scheduler use a device
through these interfaces alone, never knowing whether it is simulated or real.

Every call takes a ``timeout`` in seconds (a default per method otherwise) and raises a
DeviceError naming the device. Long actions (slew, shutter, exposure) take ``wait``:
False returns once the device has accepted the order, so the caller can abort it.

``abort()`` may be called from another thread while a long action waits: the waiting
call then raises promptly (within ~0.2 s) MotionAborted or ExposureAborted, so that the
caller knows the action did not complete. This is promised for the same device object's
``abort()`` (an abort from another program may end the wait otherwise); an abort before
or after a call has no effect on the next one.

The mount and the dome may have a watchdog, the second safety layer: see
:class:`Watchdog`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from pyros.devices.errors import DeviceRefused


class Device(ABC):
    """A named device at an address."""

    kind: str = "device"

    def __init__(self, name: str) -> None:
        self.name = name

    @abstractmethod
    def connect(self, timeout: float = 10.0) -> None:
        """Open the link (backends also reconnect by themselves on the next call)."""

    @abstractmethod
    def status(self, timeout: float = 5.0) -> object:
        """The device's current status (a frozen dataclass of the device's kind)."""


class Watchdog:
    """A device that makes itself safe when the majordome falls silent: the second
    safety layer, for when the majordome hangs or dies with the dome open. It lives in
    the device (or its controller), so it works whatever happened to PyROS."""

    name: str

    @property
    def has_watchdog(self) -> bool:
        """Whether :meth:`arm_watchdog` works in this backend."""
        return False

    def arm_watchdog(self, seconds: float, timeout: float = 5.0) -> None:
        """Arm, or renew, the watchdog. The majordome calls this at least every
        ``seconds``/4; if no call comes within ``seconds`` of wall time (the heartbeats'
        time base, whatever a simulated clock's speed: it guards against a process that
        stopped), the device makes itself safe: the dome closes its shutter, the mount
        parks (a device already closed or parked is left alone), and the watchdog
        disarms itself; the
        status's ``watchdog_tripped_at`` then says when. ``seconds=0`` disarms.

        DeviceRefused in a backend without a watchdog (``has_watchdog`` is False)."""
        raise DeviceRefused(self.name, "no watchdog in this backend: nothing closes or parks "
                                       "this device by itself if the majordome stops")


# --- Mount ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MountStatus:
    connected: bool
    ra: float  # ICRS degrees
    dec: float
    alt: float  # degrees
    az: float
    ha: float  # hours, -12..12
    slewing: bool
    tracking: bool
    parked: bool
    at_limit: bool
    time: datetime
    watchdog_tripped_at: datetime | None = None  # when the watchdog last made it safe

    @property
    def watchdog_tripped(self) -> bool:
        return self.watchdog_tripped_at is not None


@dataclass(frozen=True)
class MountCapabilities:
    """What overhead estimates and target checks need."""

    slew_rate_ra: float  # degrees per second
    slew_rate_dec: float
    settle_time: float  # seconds
    min_altitude: float  # degrees
    max_hour_angle: float  # hours
    can_park: bool = True


class Mount(Device, Watchdog):
    kind = "mount"

    @property
    @abstractmethod
    def capabilities(self) -> MountCapabilities: ...

    @abstractmethod
    def status(self, timeout: float = 5.0) -> MountStatus: ...

    @abstractmethod
    def slew(self, ra: float, dec: float, *, wait: bool = True, timeout: float = 300.0) -> None:
        """Point at ICRS ``ra``/``dec`` (degrees) and track. Refused (DeviceRefused)
        below the horizon or outside the limits."""

    @abstractmethod
    def track(self, on: bool, timeout: float = 10.0) -> None: ...

    @abstractmethod
    def park(self, *, wait: bool = True, timeout: float = 300.0) -> None: ...

    @abstractmethod
    def unpark(self, timeout: float = 30.0) -> None: ...

    @abstractmethod
    def abort(self, timeout: float = 5.0) -> None:
        """Stop any motion now. A ``slew(wait=True)`` or ``park(wait=True)`` blocked in
        another thread raises MotionAborted: the mount did not arrive."""


# --- Dome -----------------------------------------------------------------------------


class ShutterState(StrEnum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"
    OPENING = "OPENING"
    CLOSING = "CLOSING"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True)
class DomeStatus:
    connected: bool
    shutter: ShutterState
    azimuth: float | None  # degrees; None for a roll-off roof
    moving: bool
    following: bool
    parked: bool
    time: datetime
    watchdog_tripped_at: datetime | None = None  # when the watchdog last made it safe

    @property
    def watchdog_tripped(self) -> bool:
        return self.watchdog_tripped_at is not None


class Dome(Device, Watchdog):
    kind = "dome"

    @property
    @abstractmethod
    def is_rolloff(self) -> bool: ...

    @abstractmethod
    def status(self, timeout: float = 5.0) -> DomeStatus: ...

    @abstractmethod
    def open(self, *, wait: bool = True, timeout: float = 120.0) -> None: ...

    @abstractmethod
    def close(self, *, wait: bool = True, timeout: float = 120.0) -> None: ...

    @abstractmethod
    def goto_azimuth(self, azimuth: float, *, wait: bool = True, timeout: float = 180.0) -> None:
        ...

    @abstractmethod
    def follow(self, on: bool, timeout: float = 10.0) -> None:
        """Keep the slit on the mount's azimuth."""

    @abstractmethod
    def park(self, *, wait: bool = True, timeout: float = 180.0) -> None: ...

    @abstractmethod
    def abort(self, timeout: float = 5.0) -> None:
        """Stop the shutter and the rotation now (the shutter's state becomes UNKNOWN).
        An ``open``, ``close``, ``goto_azimuth`` or ``park`` blocked in another thread
        with ``wait=True`` raises MotionAborted."""


# --- Camera and filter wheel ----------------------------------------------------------


class FrameType(StrEnum):
    LIGHT = "LIGHT"
    DARK = "DARK"
    BIAS = "BIAS"
    FLAT = "FLAT"


class CameraState(StrEnum):
    IDLE = "IDLE"
    EXPOSING = "EXPOSING"
    READING = "READING"
    ERROR = "ERROR"


@dataclass(frozen=True)
class Region:
    """A region of interest in unbinned pixels."""

    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class CameraStatus:
    connected: bool
    state: CameraState
    ccd_temperature: float  # Celsius
    cooler_setpoint: float | None
    exposure_left: float  # seconds
    last_image: str | None  # path of the last FITS file
    time: datetime
    cooler_power: float | None = None  # percent; None when the camera does not say


class Camera(Device):
    kind = "camera"

    @abstractmethod
    def status(self, timeout: float = 5.0) -> CameraStatus: ...

    @abstractmethod
    def expose(self, seconds: float, path: Path, *, frame_type: FrameType = FrameType.LIGHT,
               binning: int = 1, region: Region | None = None, object_name: str = "",
               timeout: float | None = None) -> Path:
        """Take one image and write it as a FITS file at ``path``; return the path. The
        default timeout is the exposure plus readout plus a margin."""

    @abstractmethod
    def abort(self, timeout: float = 5.0) -> None:
        """Stop the exposure under way and drop its image. An ``expose()`` blocked in
        another thread raises ExposureAborted promptly (within ~0.2 s), and no file is
        written; an image that had already arrived is kept and returned."""

    @abstractmethod
    def set_cooler(self, setpoint: float | None, timeout: float = 10.0) -> None:
        """Cool to ``setpoint`` Celsius; None switches the cooler off."""


@dataclass(frozen=True)
class FilterWheelStatus:
    connected: bool
    position: int  # 0-based
    filter: str
    moving: bool
    time: datetime


class FilterWheel(Device):
    kind = "filterwheel"

    @property
    @abstractmethod
    def filters(self) -> list[str]: ...

    @abstractmethod
    def status(self, timeout: float = 5.0) -> FilterWheelStatus: ...

    @abstractmethod
    def set_filter(self, name: str, *, wait: bool = True, timeout: float = 60.0) -> None:
        """Refused (DeviceRefused) for a name the wheel does not have."""


# --- Focuser --------------------------------------------------------------------------


@dataclass(frozen=True)
class FocuserStatus:
    connected: bool
    position: int  # steps
    moving: bool
    time: datetime
    temperature: float | None = None  # Celsius, of the tube, when the focuser has a probe


class Focuser(Device):
    kind = "focuser"

    @abstractmethod
    def status(self, timeout: float = 5.0) -> FocuserStatus: ...

    @abstractmethod
    def move_to(self, position: int, *, wait: bool = True, timeout: float = 120.0) -> None: ...

    def move_by(self, steps: int, *, wait: bool = True, timeout: float = 120.0) -> None:
        self.move_to(self.status().position + steps, wait=wait, timeout=timeout)


# --- Weather station ------------------------------------------------------------------


@dataclass(frozen=True)
class WeatherReading:
    """One sensor value, as a weather station or the PLC reports it."""

    sensor: str
    name: str
    value: float | str | None
    unit: str
    valid: bool


@dataclass(frozen=True)
class WeatherStatus:
    connected: bool
    safe: bool | None  # the station's own verdict, where it gives one
    readings: tuple[WeatherReading, ...]
    time: datetime


class WeatherStation(Device):
    kind = "weather"

    @abstractmethod
    def status(self, timeout: float = 5.0) -> WeatherStatus: ...
