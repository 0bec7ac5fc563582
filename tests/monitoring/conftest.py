"""Monitoring under test: unit configurations with short periods and delays, a PLC
simulator on a free port playing a scenario, and observations made from documents of
our own (a Monitor without a PLC) for the store, the API and the pages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

import pytest

from pyros import clock, paths
from pyros.clock import RealClock
from pyros.config.loader import parse_config
from pyros.config.schema import UnitConfig
from pyros.monitoring import store
from pyros.monitoring.monitor import Monitor, Observation
from pyros.plc.client import PlcDisconnected
from pyros.plc.document import PlcStatus, Scalar, default_document
from pyros.plc.scenario import Scenario, parse_scenario
from pyros.plc.simulator import SimulatorThread, make_player


def monitoring_unit(port: int = 5003, *, period: float = 5.0, **safety: float) -> UnitConfig:
    """The example unit with its PLC on ``port``, the monitoring every ``period`` s and
    the given safety settings (``safe_delay=1.0``...)."""
    unit = parse_config(paths.EXAMPLE_CONFIG.read_text(), "test-unit.toml")
    devices = dict(unit.devices)
    devices["plc"] = devices["plc"].model_copy(update={"address": f"127.0.0.1:{port}"})
    return unit.model_copy(update={
        "devices": devices,
        "safety": unit.safety.model_copy(update=safety),
        "monitoring": unit.monitoring.model_copy(update={"period": period})})


class NoPlc:
    """Stands for a PLC that never answers; tests hand documents to Monitor.observe."""

    name = "no PLC"
    last_good = None

    def read_status(self, bypass=None) -> PlcStatus:
        raise PlcDisconnected("no PLC in this test")

    def close(self) -> None:
        pass


def watcher(*, history: bool = True, **safety: float) -> Monitor:
    """A monitor whose history says the site was safe, as in the middle of a night (the
    agent resumes so from a recent stored decision); ``history=False``: a fresh one."""
    monitor = Monitor(monitoring_unit(**safety), client=NoPlc())  # type: ignore[arg-type]
    if history:
        monitor.evaluator.resume_safe()
    return monitor


def document(now: datetime, changes: dict[tuple[str, str], Scalar] | None = None,
             invalid: tuple[str, ...] = ()) -> PlcStatus:
    """The guide's document measured at ``now``, with values changed and devices
    flagged invalid."""
    doc = default_document().stamped(now)
    for (device, name), value in (changes or {}).items():
        doc = doc.with_value(device, name, value)
    for device in invalid:
        doc = doc.with_device_validity(device, False)
    return doc


def record_at(monitor: Monitor, now: datetime,
              changes: dict[tuple[str, str], Scalar] | None = None,
              invalid: tuple[str, ...] = ()) -> Observation:
    """Observe a document measured at ``now`` and store it, as the agent would."""
    observation = monitor.observe(document(now, changes, invalid), now)
    store.record(observation)
    return observation


RAIN = {("WXT520", "RainRate"): 12.0, ("VantagePro", "RainRate"): 12.0}


@pytest.fixture
def real_clock(simulated_clock) -> Iterator[None]:
    """For the agent running on its own: its period and the safe delay are wall time."""
    previous = clock.set_clock(RealClock())
    yield
    clock.set_clock(previous)


@pytest.fixture
def plc_simulator() -> Iterator[Callable[..., SimulatorThread]]:
    """Start PLC simulators on free ports: ``plc_simulator(scenario, base=None)``."""
    started: list[SimulatorThread] = []

    def start(scenario: Scenario | str | None = None,
              base: PlcStatus | None = None) -> SimulatorThread:
        sim = SimulatorThread(make_player(scenario, base)).start()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


def scenario(length: int, *events: dict) -> Scenario:
    return parse_scenario([length, *events], "test scenario")
