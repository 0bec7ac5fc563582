"""What every backend of a device offers. Pages, agents and the scheduler use a device
through these interfaces alone, never knowing whether it is simulated or real.

Every call takes a ``timeout`` in seconds (a default per method otherwise) and raises a
DeviceError naming the device. Long actions (slew, shutter, exposure) take ``wait``:
False returns once the device has accepted the order, so the caller can abort it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path


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


@dataclass(frozen=True)
class MountCapabilities:
    """What overhead estimates and target checks need."""

    slew_rate_ra: float  # degrees per second
    slew_rate_dec: float
    settle_time: float  # seconds
    min_altitude: float  # degrees
    max_hour_angle: float  # hours
    can_park: bool = True


class Mount(Device):
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
        """Stop any motion now."""


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


class Dome(Device):
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
    def abort(self, timeout: float = 5.0) -> None: ...


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
    def abort(self, timeout: float = 5.0) -> None: ...

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
