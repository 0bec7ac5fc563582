"""What every simulated Alpaca device has: the common members (``Connected``,
``Name``, ``DeviceState``...), the parameter readers, and the errors it answers with.

A member is a method: ``get_<member>(params)`` for GET and ``put_<member>(params)`` for
PUT, ``params`` with lower-case names. Motions are computed from a clock (``now()``,
``speed`` times faster than real time), so nothing ticks in the background.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

NOT_IMPLEMENTED = 0x400
INVALID_VALUE = 0x401
VALUE_NOT_SET = 0x402
NOT_CONNECTED = 0x407
INVALID_WHILE_PARKED = 0x408
INVALID_OPERATION = 0x40B
DRIVER_ERROR = 0x500


class AlpacaFault(Exception):
    """Answered as ``ErrorNumber``/``ErrorMessage`` in an HTTP 200 answer."""

    def __init__(self, number: int, message: str) -> None:
        super().__init__(message)
        self.number, self.message = number, message


class BadRequest(Exception):
    """Answered as HTTP 400 with the message as text: a parameter missing or unreadable."""


def number(params: dict[str, str], name: str) -> float:
    raw = params.get(name.lower())
    if raw is None:
        raise BadRequest(f"missing parameter {name}")
    try:
        value = float(raw)
    except ValueError:
        raise BadRequest(f"parameter {name}={raw!r} is not a number") from None
    if not math.isfinite(value):
        raise BadRequest(f"parameter {name}={raw!r} is not finite")
    return value


def integer(params: dict[str, str], name: str) -> int:
    value = number(params, name)
    if value != int(value):
        raise BadRequest(f"parameter {name}={value!r} is not an integer")
    return int(value)


def boolean(params: dict[str, str], name: str) -> bool:
    raw = params.get(name.lower())
    if raw is None:
        raise BadRequest(f"missing parameter {name}")
    if raw.lower() not in ("true", "false"):
        raise BadRequest(f"parameter {name}={raw!r} is not True or False")
    return raw.lower() == "true"


class SimClock:
    """Time for the simulated motions: monotonic, ``speed`` times faster than real."""

    def __init__(self, speed: float = 1.0) -> None:
        self.speed = speed
        self._origin = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._origin) * self.speed


class SimDevice:
    """A device of the simulated server. ``STATE`` names the members ``DeviceState``
    lists (Platform 7); ``device_state=False`` makes it answer NotImplemented, like a
    driver older than Platform 7."""

    device_type = ""
    interface_version = 1
    STATE: tuple[str, ...] = ()

    def __init__(self, name: str, clock: SimClock) -> None:
        self.name = name
        self.clock = clock
        self.connected = False
        self.device_state = True
        self.refuse_connection = False
        self.lock = threading.RLock()

    def call(self, method: str, member: str, params: dict[str, str]) -> Any:
        handler = getattr(self, f"{method.lower()}_{member}", None)
        if handler is None:
            if hasattr(self, f"{'put' if method == 'GET' else 'get'}_{member}"):
                raise BadRequest(f"{member} cannot be read with {method}")
            raise AlpacaFault(NOT_IMPLEMENTED, f"{member} is not implemented by this device")
        with self.lock:
            if not self.connected and member not in COMMON:
                raise AlpacaFault(NOT_CONNECTED, f"{self.name} is not connected")
            return handler(params)

    # --- the common members ---------------------------------------------------------

    def get_connected(self, params: dict) -> bool:
        return self.connected

    def put_connected(self, params: dict) -> None:
        connected = boolean(params, "Connected")
        if connected and self.refuse_connection:
            raise AlpacaFault(DRIVER_ERROR, f"{self.name}: the hardware does not answer "
                                            "(COM port not found)")
        self.connected = connected

    def get_connecting(self, params: dict) -> bool:
        return False

    def put_connect(self, params: dict) -> None:
        self.put_connected({"connected": "True"})

    def put_disconnect(self, params: dict) -> None:
        self.connected = False

    def get_name(self, params: dict) -> str:
        return self.name

    def get_description(self, params: dict) -> str:
        return f"PyROS simulated {self.device_type}"

    def get_driverinfo(self, params: dict) -> str:
        return "pyros.simulators.alpaca"

    def get_driverversion(self, params: dict) -> str:
        return "1.0"

    def get_interfaceversion(self, params: dict) -> int:
        return self.interface_version

    def get_supportedactions(self, params: dict) -> list:
        return []

    def get_devicestate(self, params: dict) -> list[dict]:
        if not self.device_state:
            raise AlpacaFault(NOT_IMPLEMENTED, "devicestate is not implemented")
        state = []
        for member in self.STATE:
            try:
                state.append({"Name": member, "Value": getattr(self, f"get_{member.lower()}")({})})
            except AlpacaFault:
                continue  # a value the device does not have is left out
        return state


COMMON = frozenset({"connected", "connecting", "connect", "disconnect", "name", "description",
                    "driverinfo", "driverversion", "interfaceversion", "supportedactions"})


def progress(start: float, end: float, duration: float, elapsed: float) -> float:
    """Where a linear motion from ``start`` to ``end`` is after ``elapsed`` seconds."""
    if duration <= 0 or elapsed >= duration:
        return end
    return start + (end - start) * max(elapsed, 0.0) / duration
