"""A simulated observatory in a background thread, on free loopback ports, running 50
times faster than the wall clock from the suite's TEST_NOW."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest

from pyros import paths
from pyros.clock import SimulatedClock
from pyros.config.loader import parse_config
from pyros.config.schema import UnitConfig
from pyros.devices.factory import UnitDevices, build_devices
from pyros.simulators import server
from tests.conftest import TEST_NOW

SPEED = 50.0


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def unit_on_free_ports() -> UnitConfig:
    text = paths.EXAMPLE_CONFIG.read_text()
    for old, new in zip(range(5000, 5006), free_ports(6), strict=True):
        # Quoted: unquoted, 127.0.0.1:5002 would also match a new port such as 50021.
        text = text.replace(f'"127.0.0.1:{old}"', f'"127.0.0.1:{new}"')
    return parse_config(text, "test-unit.toml")


class RunningSimulator:
    def __init__(self, unit: UnitConfig, faults: list[server.FaultEvent],
                 speed: float = SPEED) -> None:
        self.unit = unit
        self.clock = SimulatedClock(TEST_NOW, speed=speed)
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
        if not ready.wait(10):
            raise RuntimeError("the simulator did not start")

    def stop(self) -> None:
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self._stop.set)
            self.thread.join(10)


@pytest.fixture
def simulator_factory(simulated_clock) -> Iterator:
    started: list[RunningSimulator] = []

    def start(faults: list[dict] | None = None,
              speed: float = SPEED) -> tuple[RunningSimulator, UnitDevices]:
        unit = unit_on_free_ports()
        sim = RunningSimulator(unit, [server.FaultEvent.model_validate(f) for f in faults or []],
                               speed)
        started.append(sim)
        simulated_clock.set(TEST_NOW)  # target checks and the simulator share a time base
        return sim, build_devices(unit)

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture
def observatory(simulator_factory) -> UnitDevices:
    return simulator_factory()[1]
