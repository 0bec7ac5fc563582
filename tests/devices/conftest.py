"""A simulated observatory in a background thread, on free loopback ports, running 50
times faster than the wall clock from the suite's TEST_NOW."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pyros.config.schema import UnitConfig
from pyros.devices.factory import UnitDevices, build_devices
from pyros.simulators import server, thread
from pyros.simulators.thread import free_ports, unit_on_free_ports
from tests.conftest import TEST_NOW

__all__ = ["SPEED", "RunningSimulator", "free_ports", "unit_on_free_ports"]

SPEED = 50.0


class RunningSimulator(thread.RunningSimulator):
    """The simulator from the suite's TEST_NOW."""

    def __init__(self, unit: UnitConfig, faults: list[server.FaultEvent],
                 speed: float = SPEED) -> None:
        super().__init__(unit, faults, speed, TEST_NOW)


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
