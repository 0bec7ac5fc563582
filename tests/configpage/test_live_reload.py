"""reload_config through the command bus: an agent running in a thread answers the
page's notice, and the report says it reloaded, or that it needs a restart."""

from __future__ import annotations

import threading
import time

import pytest

from pyros.agents.agent import Agent
from pyros.agents.models import AgentSurvey
from pyros.config.editing import check_text
from pyros.config.loader import active_config
from pyros.configpage.reload import tell_processes
from tests.configpage.conftest import EXAMPLE


class StartOnly(Agent):
    """Built its state from [safety] at start, like the majordome from its sections."""

    restart_sections = frozenset({"database", "safety"})


@pytest.fixture
def running(transactional_db, unit_file):
    agents: list[Agent] = []

    def start(cls: type[Agent], name: str) -> Agent:
        agent = cls(name, "main")
        thread = threading.Thread(target=agent.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not AgentSurvey.objects.filter(name=name, status="RUNNING").exists():
            assert time.monotonic() < deadline, f"{name} did not start"
            time.sleep(0.02)
        agents.append((agent, thread))
        return agent

    active_config()
    yield start
    for agent, thread in agents:
        agent.stop()
        thread.join(10)


def _notice(unit_file) -> dict:
    new_text = EXAMPLE.replace("max_wind_speed = 14.0", "max_wind_speed = 11.0")
    old, _ = check_text(EXAMPLE)
    new, _ = check_text(new_text)
    unit_file.write_text(new_text)
    return tell_processes(old, new, sender="test")


# One agent per test: agents in threads share this process's cached configuration,
# where each real agent is a process of its own.


def test_an_agent_that_can_take_it_reloads(running, unit_file):
    running(Agent, "taker")
    report = _notice(unit_file)
    assert [(line["agent"], line["outcome"]) for line in report["agents"]] == [
        ("taker", "reloaded")]
    assert active_config().safety.max_wind_speed == 11.0


def test_an_agent_that_cannot_says_it_needs_a_restart(running, unit_file):
    running(StartOnly, "keeper")
    report = _notice(unit_file)
    [line] = report["agents"]
    assert (line["agent"], line["outcome"]) == ("keeper", "restart")
    assert "safety" in line["detail"] and "pyros stop && pyros start" in line["detail"]
    assert report["restart_needed"] is True
    assert active_config().safety.max_wind_speed == 14.0
