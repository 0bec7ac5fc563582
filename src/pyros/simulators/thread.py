"""The simulated observatory in a thread of the current process, on free loopback
ports: what the tests and the benchmarks use to drive simulated devices without a
``pyros start``."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from datetime import datetime

from pyros import paths
from pyros.clock import SimulatedClock
from pyros.config.loader import parse_config
from pyros.config.schema import UnitConfig
from pyros.ports import free_ports
from pyros.simulators import server

#: The example's local alert broker port ([alerts] port).
EXAMPLE_BROKER_LINE = "port = 8098 "


EXAMPLE_FREE_SPACE_LINE = "min_free_gb = 5.0 "


def example_on_free_ports() -> str:
    """The example configuration's text with its devices and its alert broker moved to
    free ports (a running PyROS keeps the usual ones; two runs of the suite side by side
    once sent each other's alerts)."""
    text = paths.EXAMPLE_CONFIG.read_text()
    ports = free_ports(7)
    for old, new in zip(range(5000, 5006), ports, strict=False):
        # Quoted: unquoted, 127.0.0.1:5002 would also match a new port such as 50021.
        text = text.replace(f'"127.0.0.1:{old}"', f'"127.0.0.1:{new}"')
    if text.count(EXAMPLE_BROKER_LINE) != 1:
        raise RuntimeError("the example configuration's [alerts] port line has changed")
    text = text.replace(EXAMPLE_BROKER_LINE, f"port = {ports[6]} ")
    # A sandbox (a test, a benchmark) writes a few frames: it must not depend on the
    # free space of the machine it runs on, only on there being room for them.
    if text.count(EXAMPLE_FREE_SPACE_LINE) != 1:
        raise RuntimeError("the example configuration's [archive] min_free_gb line has changed")
    return text.replace(EXAMPLE_FREE_SPACE_LINE, "min_free_gb = 0.0 ")


def edit_settings(text: str, changes: tuple[tuple[str, str], ...]) -> str:
    """``text`` (a configuration's) with each ``old`` line fragment replaced by ``new``;
    an error when the example no longer has one (a sandbox must not silently run with
    the setting it meant to change)."""
    for old, new in changes:
        if old not in text:
            raise RuntimeError(f"the example configuration no longer has {old!r}")
        text = text.replace(old, new)
    return text


def unit_on_free_ports() -> UnitConfig:
    return parse_config(example_on_free_ports(), "free-ports-unit.toml")


START_WITHIN = 60.0  # wall seconds the simulator gets to listen on its ports


class RunningSimulator:
    """``server.run`` in a thread with its own event loop, on a clock of its own
    (``speed`` times the wall clock from ``start``)."""

    def __init__(self, unit: UnitConfig, faults: list[server.FaultEvent], speed: float,
                 start: datetime) -> None:
        self.unit = unit
        self.clock = SimulatedClock(start, speed=speed)
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._main: asyncio.Task | None = None

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self._stop = asyncio.Event()
            self._main = self.loop.create_task(
                server.run(unit, faults, self.clock, ready.set, self._stop))
            with contextlib.suppress(asyncio.CancelledError):
                self.loop.run_until_complete(self._main)
            self.loop.close()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        # The first astropy transform of a process (the parked mount's RA/Dec) took 17 s
        # on a machine at a load of 26: wait generously, but not for a thread that died.
        deadline = time.monotonic() + START_WITHIN
        while not ready.wait(0.1):
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the simulator did not start" + (
                    "" if self.thread.is_alive() else ": its thread ended (see the log)"))

    def stop(self) -> None:
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self._stop.set)
            self.thread.join(10)
