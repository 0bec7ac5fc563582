"""Agents under test are real processes: they share the test database through a
DATABASE_URL naming it, and read the real clock."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from pyros import clock, paths
from pyros.clock import RealClock
from tests.waiting import wait_until


def database_url() -> str:
    settings = connection.settings_dict
    vendor = connection.vendor
    if vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    scheme = {"postgresql": "postgresql", "mysql": "mysql"}[vendor]
    user = settings["USER"] or ""
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    return (f"{scheme}://{user}{password}@{settings['HOST']}:{settings['PORT']}"
            f"/{settings['NAME']}")


@pytest.fixture
def real_clock(simulated_clock):
    """Agents in other processes read the wall clock; so must the test."""
    previous = clock.set_clock(RealClock())
    yield
    clock.set_clock(previous)


@pytest.fixture
def agent_env(transactional_db, real_clock, tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYROS_CONFIG",)}
    env["DATABASE_URL"] = database_url()
    env["PYROS_HOME"] = os.environ.get("PYROS_HOME", str(tmp_path))
    # The test database is disposable: `pyros start --sim-time` may run on it.
    paths.mark_sandbox(Path(env["PYROS_HOME"]))
    return env


class AgentProcess:
    """One agent started by the test, stopped at the end whatever happened."""

    def __init__(self, env: dict[str, str], name: str, *extra: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pyros.agents.run", name, "--computer", "test", *extra],
            env=env, stdin=subprocess.DEVNULL)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


@pytest.fixture
def start_agent(agent_env):
    started: list[AgentProcess] = []

    def start(name: str = "agentB", *extra: str) -> AgentProcess:
        from pyros.agents.models import AgentSurvey

        agent = AgentProcess(agent_env, name, *extra)
        started.append(agent)
        wait_until(lambda: AgentSurvey.objects.filter(
            name=name, computer="test", pid=agent.process.pid, status="RUNNING").exists(),
            what=f"{name} to beat")
        return agent

    yield start
    for agent in started:
        agent.stop()


@pytest.fixture
def pyros_home(agent_env) -> Path:
    return Path(agent_env["PYROS_HOME"])
