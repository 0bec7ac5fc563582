"""The ``sim`` backend: the device interfaces over the simulator's JSON-lines protocol
(simulators/server.py). Each device keeps one connection, opened on demand and opened
again after a failure, so a simulator that restarts is found again by the next call.

The mount, the dome and the camera end a wait at once when their ``abort()`` is called
from another thread (see :class:`_Abortable`); the mount and the dome have the
simulator's watchdog."""

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
from pyros.devices.errors import (
    DeviceDisconnected,
    DeviceError,
    DeviceRefused,
    DeviceTimeout,
    ExposureAborted,
    MotionAborted,
)
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
        # Held for each exchange; a caller may hold it around a call and what must
        # happen before any other thread's next call.
        self.lock = threading.RLock()

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
        with self.lock:
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
    """A status as the dataclasses take it: ISO times as datetimes."""
    parsed = {**status, "time": datetime.fromisoformat(status["time"])}
    if parsed.get("watchdog_tripped_at") is not None:
        parsed["watchdog_tripped_at"] = datetime.fromisoformat(parsed["watchdog_tripped_at"])
    return parsed


def wait_until(device: str, done: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``done`` until it is true; DeviceTimeout after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise DeviceTimeout(device, f"{what} not finished within {timeout:g} s")
        time.sleep(POLL)


def _arm_watchdog(link: SimLink, seconds: float, timeout: float) -> None:
    """The simulator's watchdog (server.py): the mount parks, the dome closes."""
    if not seconds >= 0:  # also refuses NaN
        raise DeviceRefused(link.device, f"watchdog period {seconds} s is not >= 0")
    link.call("watchdog", timeout, seconds=seconds)


class _Abortable:
    """Long actions whose wait ``abort()`` ends from another thread. Each abort is
    counted before any other call on the link can see its effect; a wait that began at
    another count was aborted. A wait compares with the count it began at, so an abort
    before or after it changes nothing for the next action."""

    name: str
    link: SimLink
    _aborts: int = 0

    def abort(self, timeout: float = 5.0) -> None:
        with self.link.lock:  # a status showing the stop also shows the new count
            self.link.call("abort", timeout)
            self._aborts += 1

    def _act(self, order: Callable[[], object], done: Callable[[], bool], *, wait: bool,
             timeout: float, what: str, aborted: type[DeviceError] = MotionAborted,
             done_means_arrived: bool = False) -> None:
        """Send ``order``; with ``wait``, poll ``done`` until it is true, or raise
        ``aborted`` if this object's ``abort()`` was called meanwhile. A motion is done
        (no longer moving) whether it arrived or was stopped, so an abort wins over it;
        with ``done_means_arrived`` (the exposure's own image is there), done wins."""
        start = self._aborts
        order()
        if not wait:
            return

        def finished() -> bool:
            if done() and (done_means_arrived or self._aborts == start):
                return True
            if self._aborts == start:
                return False
            # The abort may have reached the device just before our order did: stop it
            # again, so that the caller, told it was aborted, finds the device stopped.
            self.link.call("abort")
            raise aborted(self.name, f"{what} was aborted before it finished")

        wait_until(self.name, finished, timeout, what)


class SimMount(_Abortable, Mount):
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
        self._act(lambda: self.link.call("slew", 10.0, ra=ra, dec=dec),
                  lambda: not self.status().slewing, wait=wait, timeout=timeout,
                  what="the slew")

    def track(self, on: bool, timeout: float = 10.0) -> None:
        self.link.call("track", timeout, on=on)

    def park(self, *, wait: bool = True, timeout: float = 300.0) -> None:
        self._act(lambda: self.link.call("park", 10.0), lambda: self.status().parked,
                  wait=wait, timeout=timeout, what="parking")

    def unpark(self, timeout: float = 30.0) -> None:
        self.link.call("unpark", timeout)

    @property
    def has_watchdog(self) -> bool:
        return True

    def arm_watchdog(self, seconds: float, timeout: float = 5.0) -> None:
        _arm_watchdog(self.link, seconds, timeout)


class SimDome(_Abortable, Dome):
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
        self._act(lambda: self.link.call(method, 10.0), lambda: self.status().shutter == wanted,
                  wait=wait, timeout=timeout, what=f"the shutter's {method}")

    def open(self, *, wait: bool = True, timeout: float = 120.0) -> None:
        self._shutter("open", ShutterState.OPEN, wait, timeout)

    def close(self, *, wait: bool = True, timeout: float = 120.0) -> None:
        self._shutter("close", ShutterState.CLOSED, wait, timeout)

    def goto_azimuth(self, azimuth: float, *, wait: bool = True, timeout: float = 180.0) -> None:
        self._act(lambda: self.link.call("goto", 10.0, azimuth=azimuth),
                  lambda: not self.status().moving, wait=wait, timeout=timeout,
                  what="the rotation")

    def follow(self, on: bool, timeout: float = 10.0) -> None:
        self.link.call("follow", timeout, on=on)

    def park(self, *, wait: bool = True, timeout: float = 180.0) -> None:
        self._act(lambda: self.link.call("park", 10.0), lambda: self.status().parked,
                  wait=wait, timeout=timeout, what="parking")

    @property
    def has_watchdog(self) -> bool:
        return True

    def arm_watchdog(self, seconds: float, timeout: float = 5.0) -> None:
        _arm_watchdog(self.link, seconds, timeout)


class SimCamera(_Abortable, Camera):
    def __init__(self, name: str, address: str, channel: Channel) -> None:
        super().__init__(name)
        self.link = SimLink(name, address)
        self.channel = channel

    def connect(self, timeout: float = 10.0) -> None:
        self.link.call("status", timeout)

    def status(self, timeout: float = 5.0) -> CameraStatus:
        raw = _time(self.link.call("status", timeout))
        raw.pop("error", None)
        raw.pop("last_exposure", None)
        return CameraStatus(**{**raw, "state": CameraState(raw["state"])})

    def expose(self, seconds: float, path: Path, *, frame_type: FrameType = FrameType.LIGHT,
               binning: int = 1, region: Region | None = None, object_name: str = "",
               timeout: float | None = None) -> Path:
        if not 1 <= binning <= 4:
            raise DeviceRefused(self.name, f"binning {binning} outside 1..4")
        path = Path(path).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        limit = timeout if timeout is not None else seconds + self.channel.readout_time + 30.0
        number = None  # the simulator numbers exposures: a path may be written again

        def order() -> None:
            nonlocal number
            number = self.link.call(
                "expose", 10.0, seconds=seconds, path=str(path),
                frame_type=FrameType(frame_type).value, binning=binning,
                region=None if region is None else vars(region), object=object_name)["number"]

        def finished() -> bool:
            raw = self.link.call("status")
            if raw["state"] == CameraState.ERROR:
                raise DeviceError(self.name, f"the exposure failed: {raw.get('error')}")
            if raw["state"] != CameraState.IDLE:
                return False
            if raw["last_exposure"] != number:
                # Idle without our image: aborted, by another program if not by us.
                raise ExposureAborted(self.name, "the exposure was aborted")
            return True

        self._act(order, finished, wait=True, timeout=limit, what="the exposure",
                  aborted=ExposureAborted, done_means_arrived=True)
        return path

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
