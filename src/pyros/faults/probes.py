"""Looking at a running PyROS from outside, as the fault night must: its processes
(the supervisor's children, from /proc), the simulated dome and mount (asked on their
own ports, so the answer does not depend on the agents being hurt), the database
(through a connection dropped and opened again when the server was restarted) and the
web server."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

#: How a child of the supervisor is recognised in its command line.
MARKERS = {"web": "gunicorn", "sim-devices": "pyros.simulators.server",
           "sim-plc": "pyros.plc.simulator", "broker": "pyros.alerts.broker",
           "jobs": "pyros.jobs.runner"}


def children(parent: int) -> dict[str, int]:
    """The supervisor's children by name (an agent by its name, the others as in
    ``MARKERS``)."""
    found: dict[str, int] = {}
    try:
        listed = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    except OSError:
        return found
    for text in listed:
        pid = int(text)
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = [w.decode(errors="replace") for w in argv if w]
        if "pyros.agents.run" in words:
            found[words[words.index("pyros.agents.run") + 1]] = pid
            continue
        for name, marker in MARKERS.items():
            if any(marker in word for word in words):
                found[name] = pid
    return found


def running(pid: int) -> bool:
    """``pid`` is a process that has not ended: a zombie (ended, not yet reaped by a
    parent that may never do it, as the init of a container) does not count."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def stop_processes(pids: Iterable[int], grace: float = 10.0) -> list[int]:
    """SIGTERM, then SIGKILL after ``grace`` seconds, each of ``pids`` still alive (and
    its process group); those that were still alive."""
    alive = [pid for pid in pids if running(pid)]
    for pid in alive:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(running(p) for p in alive):
        time.sleep(0.2)
    for pid in alive:
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return alive


def device_status(address: str, timeout: float = 2.0) -> dict[str, Any] | None:
    """A simulated device's status, asked on its port; None when it does not answer."""
    host, port = address.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=timeout) as link:
            link.sendall(b'{"id": 1, "method": "status"}\n')
            data = b""
            while not data.endswith(b"\n"):
                chunk = link.recv(65536)
                if not chunk:
                    return None
                data += chunk
        return json.loads(data).get("result")
    except (OSError, ValueError):
        return None


def web_answers(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def query(read: Callable[[], T], default: T) -> T:
    """``read()`` against the database, or ``default`` while it cannot be reached (the
    connection is dropped so that the next call opens a new one)."""
    from django.db import DatabaseError, connection

    try:
        return read()
    except DatabaseError:
        connection.close()
        return default


def wait(condition: Callable[[], bool], timeout: float, what: str,
         every: float = 0.1) -> float:
    """Wall seconds until ``condition()``; TimeoutError naming ``what`` after
    ``timeout``."""
    began = time.monotonic()
    while not condition():
        if time.monotonic() - began > timeout:
            raise TimeoutError(f"{what}: not within {timeout:g} s")
        time.sleep(every)
    return time.monotonic() - began


@dataclass
class Sample:
    at: float
    closed: bool  # shutter CLOSED and mount parked
    tripped: str  # the watchdog's last trip (either device), "" if none


@dataclass
class SafetyWatch:
    """The dome and the mount asked on their own ports every 0.2 s, in a thread."""

    dome: str
    mount: str
    samples: list[Sample] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.wait(0.2):
            dome, mount = device_status(self.dome), device_status(self.mount)
            if dome is None or mount is None:
                continue
            tripped = max(str(dome.get("watchdog_tripped_at") or ""),
                          str(mount.get("watchdog_tripped_at") or ""))
            self.samples.append(Sample(time.monotonic(),
                                       dome.get("shutter") == "CLOSED" and
                                       bool(mount.get("parked")), tripped))

    def between(self, began: float, ended: float) -> list[Sample]:
        return [s for s in self.samples if began <= s.at <= ended]
