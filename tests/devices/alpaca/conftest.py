"""Our Alpaca simulator (a real HTTP server and discovery responder on loopback ports of
the suite's range) serving the example unit's devices, and that unit turned to the
``alpaca`` backend."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from pyros.config.schema import UnitConfig
from pyros.devices.factory import UnitDevices, build_devices
from pyros.ports import free_ports
from pyros.simulators.alpaca.common import SimClock
from pyros.simulators.alpaca.server import AlpacaSimulator
from pyros.simulators.alpaca.unit import devices_for_unit, unit_on_alpaca
from pyros.simulators.thread import unit_on_free_ports

#: Simulated motions run this much faster than the wall clock.
SPEED = 20.0


@dataclass
class AlpacaObservatory:
    simulator: AlpacaSimulator
    unit: UnitConfig
    devices: UnitDevices


def start_simulator(speed: float = SPEED) -> tuple[AlpacaSimulator, UnitConfig]:
    base = unit_on_free_ports()
    http, udp = free_ports(2)
    clock = SimClock(speed)
    simulator = AlpacaSimulator(port=http, discovery_port=udp, speed=speed,
                                devices=devices_for_unit(base, clock)).start()
    return simulator, unit_on_alpaca(base, simulator.address)


@pytest.fixture
def alpaca_factory() -> Iterator:
    started: list[AlpacaSimulator] = []

    def start(speed: float = SPEED) -> AlpacaObservatory:
        simulator, unit = start_simulator(speed)
        started.append(simulator)
        return AlpacaObservatory(simulator, unit, build_devices(unit))

    yield start
    for simulator in started:
        simulator.stop()


@pytest.fixture
def alpaca(alpaca_factory) -> AlpacaObservatory:
    return alpaca_factory()
