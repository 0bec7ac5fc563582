"""The ``sim`` backend: the device interfaces over the simulator's JSON-lines protocol
(simulators/server.py). Each device keeps one connection, opened on demand and opened
again after a failure, so a simulator that restarts is found again by the next call."""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from pyros import clock
from pyros.config.schema import Channel, Site, UnitConfig
from pyros.devices.errors import DeviceDisconnected, DeviceError, DeviceRefused, DeviceTimeout
from pyros.devices.interfaces import (
    Camera,
    CameraState,
    CameraStatus,
    Dome,
    DomeStatus,
    FilterWheel,
    FilterWheelStatus,
    Focuser,
    FocuserStatus,
    FrameType,
    Mount,
    MountCapabilities,
    MountStatus,
    Region,
    ShutterState,
)
from pyros.devices.targets import check_target

POLL = 0.05  # seconds between status reads while waiting for a motion to end


class SimLink:
    """One JSON-lines connection to a simulated device."""

    def __init__(self, device: str, address: str) -> None:
        self.device = device
        host, port = address.rsplit(":", 1)
        self.host, self.port = host, int(port)
        self._sock: socket.socket | None = None
        self._buffer = b""
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
        self._sock, self._buffer = None, b""

    def _connect(self, timeout: float) -> socket.socket:
        if self._sock is None:
            try:
                self._sock = socket.create_connection((self.host, self.port), timeout=timeout)
            except TimeoutError as exc:
                raise DeviceTimeout(self.device, f"no answer from {self.host}:{self.port} "
                                                 f"within {timeout:g} s") from exc
            except OSError as exc:
                reason = exc.strerror or exc
                raise DeviceDisconnected(
                    self.device, f"cannot connect to {self.host}:{self.port}: {reason}") from exc
        return self._sock

    def call(self, method: str, timeout: float = 5.0, **params: Any) -> Any:
        with self._lock:
            deadline = time.monotonic() + timeout
            sock = self._connect(timeout)
            request_id = next(self._ids)
            try:
                sock.settimeout(timeout)
                sock.sendall(json.dumps({"id": request_id, "method": method,
                                         "params": params}).encode() + b"\n")
                while True:
                    line = self._read_line(sock, deadline)
                    answer = json.loads(line)
                    if isinstance(answer, dict) and answer.get("id") == request_id:
                        break
            except TimeoutError as exc:
                self.close()
                raise DeviceTimeout(self.device, f"{method}: no answer within {timeout:g} s "
                                                 "(the device is silent)") from exc
            except (OSError, ConnectionError) as exc:
                self.close()
                raise DeviceDisconnected(self.device, f"{method}: connection lost: {exc}") from exc
            except ValueError as exc:
                self.close()
                raise DeviceError(self.device, f"{method}: malformed reply: {exc}") from exc
        error = answer.get("error")
        if error:
            kind = DeviceRefused if error.get("kind") == "refused" else DeviceError
            raise kind(self.device, str(error.get("message")))
        return answer.get("result")

    def _read_line(self, sock: socket.socket, deadline: float) -> bytes:
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            sock.settimeout(left)
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed by the device")
            self._buffer += chunk
            if len(self._buffer) > 1_000_000:
                raise ValueError("reply too long")
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line


def _time(status: dict) -> dict:
    return {**status, "time": datetime.fromisoformat(status["time"])}


def wait_until(device: str, done: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``done`` until it is true; DeviceTimeout after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise DeviceTimeout(device, f"{what} not finished within {timeout:g} s")
        time.sleep(POLL)


class SimMount(Mount):
    def __init__(self, name: str, address: str, unit: UnitConfig) -> None:
        super().__init__(name)
        self.link = SimLink(name, address)
        self.site: Site = unit.site
        mount = unit.mount
        self._capabilities = MountCapabilities(
            mount.slew_rate_ra, mount.slew_rate_dec, mount.settle_time,
            mount.limits.min_altitude, mount.limits.max_hour_angle)

    @property
    def capabilities(self) -> MountCapabilities:
        return self._capabilities

    def connect(self, timeout: float = 10.0) -> None:
        self.link.call("status", timeout)

    def status(self, timeout: float = 5.0) -> MountStatus:
        return MountStatus(**_time(self.link.call("status", timeout)))

    def slew(self, ra: float, dec: float, *, wait: bool = True, timeout: float = 300.0) -> None:
        check_target(self.name, ra, dec, clock.now(), self.site, self.capabilities)
        self.link.call("slew", 10.0, ra=ra, dec=dec)
        if wait:
            wait_until(self.name, lambda: not self.status().slewing, timeout, "the slew")

    def track(self, on: bool, timeout: float = 10.0) -> None:
        self.link.call("track", timeout, on=on)

    def park(self, *, wait: bool = True, timeout: float = 300.0) -> None:
        self.link.call("park", 10.0)
        if wait:
            wait_until(self.name, lambda: self.status().parked, timeout, "parking")

    def unpark(self, timeout: float = 30.0) -> None:
        self.link.call("unpark", timeout)

    def abort(self, timeout: float = 5.0) -> None:
        self.link.call("abort", timeout)


class SimDome(Dome):
    def __init__(self, name: str, address: str) -> None:
        super().__init__(name)
        self.link = SimLink(name, address)

    @property
    def is_rolloff(self) -> bool:
        return False

    def connect(self, timeout: float = 10.0) -> None:
        self.link.call("status", timeout)

    def status(self, timeout: float = 5.0) -> DomeStatus:
        raw = _time(self.link.call("status", timeout))
        return DomeStatus(**{**raw, "shutter": ShutterState(raw["shutter"])})

    def _shutter(self, method: str, wanted: ShutterState, wait: bool, timeout: float) -> None:
        self.link.call(method, 10.0)
        if wait:
            wait_until(self.name, lambda: self.status().shutter == wanted, timeout,
                       f"the shutter's {method}")

    def open(self, *, wait: bool = True, timeout: float = 120.0) -> None:
        self._shutter("open", ShutterState.OPEN, wait, timeout)

    def close(self, *, wait: bool = True, timeout: float = 120.0) -> None:
        self._shutter("close", ShutterState.CLOSED, wait, timeout)

    def goto_azimuth(self, azimuth: float, *, wait: bool = True, timeout: float = 180.0) -> None:
        self.link.call("goto", 10.0, azimuth=azimuth)
        if wait:
            wait_until(self.name, lambda: not self.status().moving, timeout, "the rotation")

    def follow(self, on: bool, timeout: float = 10.0) -> None:
        self.link.call("follow", timeout, on=on)

    def park(self, *, wait: bool = True, timeout: float = 180.0) -> None:
        self.link.call("park", 10.0)
        if wait:
            wait_until(self.name, lambda: self.status().parked, timeout, "parking")

    def abort(self, timeout: float = 5.0) -> None:
        self.link.call("abort", timeout)


class SimCamera(Camera):
    def __init__(self, name: str, address: str, channel: Channel) -> None:
        super().__init__(name)
        self.link = SimLink(name, address)
        self.channel = channel

    def connect(self, timeout: float = 10.0) -> None:
        self.link.call("status", timeout)

    def status(self, timeout: float = 5.0) -> CameraStatus:
        raw = _time(self.link.call("status", timeout))
        raw.pop("error", None)
        return CameraStatus(**{**raw, "state": CameraState(raw["state"])})

    def expose(self, seconds: float, path: Path, *, frame_type: FrameType = FrameType.LIGHT,
               binning: int = 1, region: Region | None = None, object_name: str = "",
               timeout: float | None = None) -> Path:
        if not 1 <= binning <= 4:
            raise DeviceRefused(self.name, f"binning {binning} outside 1..4")
        path = Path(path).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.link.call("expose", 10.0, seconds=seconds, path=str(path),
                       frame_type=FrameType(frame_type).value, binning=binning,
                       region=None if region is None else vars(region), object=object_name)
        limit = timeout if timeout is not None else seconds + self.channel.readout_time + 30.0

        def finished() -> bool:
            raw = self.link.call("status")
            if raw["state"] == CameraState.ERROR:
                raise DeviceError(self.name, f"the exposure failed: {raw.get('error')}")
            return raw["state"] == CameraState.IDLE and raw["last_image"] == str(path)

        wait_until(self.name, finished, limit, "the exposure")
        return path

    def abort(self, timeout: float = 5.0) -> None:
        self.link.call("abort", timeout)

    def set_cooler(self, setpoint: float | None, timeout: float = 10.0) -> None:
        self.link.call("set_cooler", timeout, setpoint=setpoint)


class SimFilterWheel(FilterWheel):
    """The filter wheel of a simulated camera (served on the camera's port)."""

    def __init__(self, name: str, address: str, channel: Channel) -> None:
        super().__init__(name)
        self.link = SimLink(name, address)
        self._filters = list(channel.filters)

    @property
    def filters(self) -> list[str]:
        return list(self._filters)

    def connect(self, timeout: float = 10.0) -> None:
        self.link.call("filter_status", timeout)

    def status(self, timeout: float = 5.0) -> FilterWheelStatus:
        return FilterWheelStatus(**_time(self.link.call("filter_status", timeout)))

    def set_filter(self, name: str, *, wait: bool = True, timeout: float = 60.0) -> None:
        if name not in self._filters:
            raise DeviceRefused(self.name, f"no filter '{name}' (filters: "
                                           f"{', '.join(self._filters)})")
        self.link.call("set_filter", 10.0, name=name)
        if wait:
            wait_until(self.name, lambda: not self.status().moving, timeout, "the filter change")


class SimFocuser(Focuser):
    def __init__(self, name: str, address: str) -> None:
        super().__init__(name)
        self.link = SimLink(name, address)

    def connect(self, timeout: float = 10.0) -> None:
        self.link.call("status", timeout)

    def status(self, timeout: float = 5.0) -> FocuserStatus:
        return FocuserStatus(**_time(self.link.call("status", timeout)))

    def move_to(self, position: int, *, wait: bool = True, timeout: float = 120.0) -> None:
        self.link.call("move_to", 10.0, position=position)
        if wait:
            wait_until(self.name, lambda: not self.status().moving, timeout, "the focus move")
