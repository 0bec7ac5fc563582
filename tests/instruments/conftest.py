"""The devices agent against the simulated observatory of tests/devices (a thread on
free ports, 50 times faster than the wall clock), with its files in a temporary data
directory; and users of the profiles whose rights differ on these pages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.test import Client

from pyros.accounts.profiles import ProfileLevel
from pyros.agents.context import CommandContext
from pyros.instruments.agent import DevicesAgent
from pyros.instruments.models import Mode, OperatingMode
from tests.conftest import TEST_NOW, make_user
from tests.devices.conftest import RunningSimulator, simulator_factory  # noqa: F401
from tests.waiting import GENEROUS

# At TEST_NOW (05:00 local at San Pedro Martir) RA 150, Dec +20 is high in the east;
# RA 300, Dec -60 is under the horizon.
UP = (150.0, 20.0)
DOWN = (300.0, -60.0)


@pytest.fixture
def data_home(tmp_path, monkeypatch) -> Path:
    """The data directory of this test: images and previews land here."""
    monkeypatch.setenv("PYROS_HOME", str(tmp_path))
    return tmp_path


@pytest.fixture
def start_devices_agent(simulator_factory, data_home) -> Iterator[  # noqa: F811
        Callable[[], tuple[RunningSimulator, DevicesAgent]]]:
    """A simulated observatory and a devices agent built on its configuration, its
    status rows made (init), not yet polled."""
    agents: list[DevicesAgent] = []

    def start() -> tuple[RunningSimulator, DevicesAgent]:
        sim, _ = simulator_factory()
        # The simulator runs in this busy process: it gets more than a real device's second.
        agent = DevicesAgent("devices", "test", unit=sim.unit, poll_timeout=GENEROUS)
        agent.init()
        agents.append(agent)
        return sim, agent

    yield start
    for agent in agents:
        agent.close()


@pytest.fixture
def stop_observatory(monkeypatch) -> Callable[[RunningSimulator], None]:
    """Stop a simulated observatory in the middle of a test. RunningSimulator.stop() may
    run only once, and the simulator fixture calls it again at teardown."""

    def stop(sim: RunningSimulator) -> None:
        sim.stop()
        monkeypatch.setattr(sim, "stop", lambda: None)

    return stop


@pytest.fixture
def devices_agent(db, start_devices_agent) -> tuple[RunningSimulator, DevicesAgent]:
    return start_devices_agent()


def set_mode(mode: Mode, by: str = "cli:test") -> OperatingMode:
    return OperatingMode.change(mode, by=by, at=TEST_NOW, reason="test")


def context(name: str = "test") -> CommandContext:
    """What a handler receives from the bus, for handlers called directly."""
    return CommandContext(command_id=1, sender="test", name=name)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def visitor(initial_data):
    return make_user("victor", ProfileLevel.VISITOR)


@pytest.fixture
def observer_user(initial_data):
    return make_user("alice", ProfileLevel.OBSERVER)


@pytest.fixture
def engineer(initial_data):
    return make_user("ingrid", ProfileLevel.IE_IS)


@pytest.fixture
def operator(initial_data):
    return make_user("olga", ProfileLevel.OPERATOR)
