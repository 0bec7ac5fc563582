"""A simulated observatory for the executor: the example unit on free ports with small
detectors (a frame renders in milliseconds, so simulated time is what the exposures
take), the mount unparked as the majordome leaves it for the night, and the process clock
shared with the simulator so that the executor's times and the devices' agree."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from pyros import clock
from pyros.clock import SimulatedClock
from pyros.config.schema import UnitConfig
from pyros.devices.factory import UnitDevices, build_devices
from tests.devices.conftest import SPEED, RunningSimulator, unit_on_free_ports

PIXELS = 128  # per side of the simulated detectors


@dataclass
class Observatory:
    unit: UnitConfig
    devices: UnitDevices
    clock: SimulatedClock


def small_unit(**calibrations: object) -> UnitConfig:
    """The example unit on free ports, its detectors shrunk, its calibrations adjusted."""
    unit = unit_on_free_ports()
    channels = [c.model_copy(update={"width": PIXELS, "height": PIXELS})
                for c in unit.channels]
    majordome = unit.majordome.model_copy(update={
        "calibrations": unit.majordome.calibrations.model_copy(update=calibrations)})
    return unit.model_copy(update={"channels": channels, "majordome": majordome})


@pytest.fixture
def observatory_factory(simulated_clock) -> Iterator[Callable[..., Observatory]]:
    """``start(speed=50, **calibrations)``: a running simulated observatory."""
    simulators: list[RunningSimulator] = []
    previous: list[clock.Clock] = []

    def start(speed: float = SPEED, **calibrations: object) -> Observatory:
        unit = small_unit(**calibrations)
        simulator = RunningSimulator(unit, [], speed)
        simulators.append(simulator)
        previous.append(clock.set_clock(simulator.clock))
        devices = build_devices(unit)
        devices.mount.unpark()
        return Observatory(unit, devices, simulator.clock)

    yield start
    for simulator in simulators:
        simulator.stop()
    if previous:
        clock.set_clock(previous[0])


@pytest.fixture
def observatory(observatory_factory) -> Observatory:
    return observatory_factory()
