"""A night as a user runs one: `pyros start` on a simulated clock with a PLC scenario of
their own, every agent a process of its own; the night log and the devices' status say
what happened."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pyros.majordome.models import NightLogEntry
from tests.agents.conftest import agent_env, real_clock  # noqa: F401
from tests.agents.test_live_agents import pyros

SPEED = 40.0
#: Dark time at the example site.
NIGHT = "2026-11-22T03:00:00"
#: The processes start (some 5 s of wall time on an idle machine, 30–60 s on one that
#: runs four parts of the suite at once: up to 2,400 s of the clock), the monitoring asks
#: for `safe_delay` of good weather before the first SAFE (the user's configuration
#: below: 120 s), then the dome opens (30 s); the rain comes well after that, 100 s of
#: wall time from the start.
RAIN_AT = 4000.0


def wait_for(condition: Callable[[], bool], wall: float, what: str) -> None:
    deadline = time.monotonic() + wall
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    log = "\n".join(str(entry) for entry in NightLogEntry.objects.all())
    raise AssertionError(f"{what} did not happen within {wall:g} s; the night log:\n{log}")


def transitions() -> list[tuple[str, str, str]]:
    """(from, to, cause) of every state change so far."""
    return [(e.detail["from"], e.detail["to"], e.detail["cause"])
            for e in NightLogEntry.objects.filter(kind="STATE")]


@pytest.fixture
def users_config(agent_env, tmp_path: Path) -> Path:  # noqa: F811
    """The example configuration with a shorter safe delay, as a user's own; on free
    ports, as another PyROS may run on this machine."""
    from pyros.simulators.thread import example_on_free_ports

    text = example_on_free_ports()
    assert "safe_delay = 900.0" in text
    path = tmp_path / "unit.toml"
    path.write_text(text.replace("safe_delay = 900.0", "safe_delay = 120.0"))
    agent_env["PYROS_CONFIG"] = str(path)
    return path


@pytest.fixture
def rain_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "rain.json"
    path.write_text(json.dumps([1, *[
        {"at_seconds": RAIN_AT, "plcSimulator": {"device_name": device,
                                                 "value_name": "RainRate", "value": 8.0}}
        for device in ("WXT520", "VantagePro")]]))
    return path


@pytest.mark.whole_pyros
@pytest.mark.django_db(transaction=True)
def test_rain_from_the_users_scenario_closes_the_dome_of_a_running_pyros(
        agent_env, users_config, rain_scenario):  # noqa: F811
    bad = rain_scenario.with_name("bad.json")
    bad.write_text('[1, {"at_seconds": 5, "plcSimulator": {"device_name": "WXT520"}, "x": 1}]')
    refused = pyros(agent_env, "start", "sim,monitoring,devices,majordome", "--plc-scenario",
                    str(bad), "--sim-time", NIGHT)
    assert refused.returncode == 1 and str(bad) in refused.stderr, refused.stderr

    assert pyros(agent_env, "observatory", "mode", "scheduler").returncode == 0
    started = pyros(agent_env, "start", "sim,monitoring,devices,majordome", "--sim-time", NIGHT,
                    "--speed", str(SPEED), "--plc-scenario", str(rain_scenario))
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        wait_for(lambda: any(to == "SCHEDULER_READY" for _, to, _ in transitions()),
                 wall=(RAIN_AT - 100) / SPEED, what="opening once safe")
        # While PyROS runs the simulators, `pyros sim` must not start a second PLC.
        second = pyros(agent_env, "sim", "plc", "--scenario", str(rain_scenario))
        assert second.returncode == 1 and "pyros start --scenario" in second.stderr
        wait_for(lambda: any(to == "CLOSING" and "unsafe" in cause
                             for _, to, cause in transitions()),
                 wall=RAIN_AT / SPEED + 60, what="closing for the rain")
        wait_for(lambda: ("CLOSING", "STANDBY") in {(a, b) for a, b, _ in transitions()},
                 wall=60, what="closed and parked")
        status = json.loads(pyros(agent_env, "device", "status", "--json").stdout)
        assert status["dome"]["shutter"] == "CLOSED" and status["mount"]["parked"] is True
        log = pyros(agent_env, "observatory", "log", "--night", "2026-11-21").stdout
        assert "unsafe" in log
    finally:
        pyros(agent_env, "stop")
