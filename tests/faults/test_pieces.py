"""The pieces the fault night relies on, each alone: a fault injected into a running
simulated observatory (SIGHUP), the supervisor's patience with an agent that says its
beat lasts longer, the table."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from pyros.faults.report import FaultRow, markdown
from pyros.simulators.server import Faults, load_faults, reload_scenario


def test_sighup_replaces_the_faults_timed_from_then(tmp_path: Path):
    scenario = tmp_path / "faults.json"
    scenario.write_text("[]")
    observatory = SimpleNamespace(faults=Faults([], time.monotonic() - 1000))
    scenario.write_text(json.dumps([{"at": 0, "device": "camera_vis", "fault": "silent",
                                     "duration": 600}]))
    reload_scenario(observatory, lambda: load_faults(scenario))
    assert observatory.faults.active("camera_vis", "silent")
    assert not observatory.faults.active("camera_nir", "silent")


def test_a_bad_scenario_on_sighup_keeps_the_faults_in_force(tmp_path: Path):
    scenario = tmp_path / "faults.json"
    scenario.write_text(json.dumps([{"at": 0, "device": "dome", "fault": "stuck_shutter",
                                     "duration": 600}]))
    observatory = SimpleNamespace(faults=Faults(load_faults(scenario), time.monotonic()))
    scenario.write_text('[{"at": 0, "device": "dome", "fault": "melted", "duration": 1}]')
    reload_scenario(observatory, lambda: load_faults(scenario))
    assert observatory.faults.active("dome", "stuck_shutter")


@pytest.mark.django_db
def test_the_supervisor_waits_as_long_as_an_agents_beat_is_valid():
    """The scheduler's plan holds its loop for its time limit, and its beat says so
    (validity 5 s + the limit): with a short PYROS_AGENT_HUNG_AFTER it was killed as
    hung in the middle of every plan, again and again, and never planned."""
    from pyros import clock
    from pyros.agents.models import AgentSurvey
    from pyros.agents.supervisor import Child, Supervisor

    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        supervisor = Supervisor("test", [], None)
        supervisor.hung_after = 3.0
        child = Child("planner", [], is_agent=True, process=sleeper)
        supervisor.children.append(child)
        AgentSurvey.objects.create(name="planner", computer="test", pid=sleeper.pid,
                                   last_beat=clock.now(), validity=30.0,
                                   started_at=clock.now() - timedelta(seconds=10))
        supervisor._check_heartbeats(1000.0)  # the first beat seen
        supervisor._check_heartbeats(1010.0)  # 10 s silent: past 3 s, within 30 s
        assert sleeper.poll() is None and child.hung == ""
        supervisor._check_heartbeats(1031.0)  # 31 s silent: hung
        assert sleeper.wait(10) < 0 and "no heartbeat for 31 s" in child.hung
    finally:
        if sleeper.poll() is None:
            sleeper.kill()
            sleeper.wait()


def test_the_table_shows_an_unsafe_row():
    rows = [FaultRow("kill -9 devices", back=0.5, ready=3.2, safety="none needed",
                     resumed=6.0),
            FaultRow("PLC link cut", ready=None, safety="needed but not seen",
                     safety_ok=False)]
    table = markdown(rows)
    assert "| kill -9 devices | 0.5 | 3.2 | 0 | 0 |" in table
    assert "**NOT SAFE**" in table and rows[0].ok() and not rows[1].ok()


@pytest.mark.django_db(transaction=True)
def test_a_waiter_outlives_its_broken_connection():
    """A PostgreSQL restart broke every agent's LISTEN connection with psycopg's own
    error, which their loops did not catch: every agent died (fixed the same way on
    main for the cut link of two computers). Here only the waiter's own connection is
    cut (pg_terminate_backend), never the server."""
    from django.db import connection

    from pyros.agents.notify import COMMANDS_CHANNEL, Waiter, wake

    if connection.vendor != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; other databases poll")
    waiter = Waiter(COMMANDS_CHANNEL)
    try:
        backend = waiter._listener.info.backend_pid
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
        assert waiter.wait(2.0, {"nobody"}) is False  # the break noticed, no exception
        deadline = time.monotonic() + 30
        while waiter._listener is None and time.monotonic() < deadline:
            waiter.wait(0.5, {"nobody"})  # listens again after RELISTEN_AFTER
        assert waiter._listener is not None
        assert waiter._listener.info.backend_pid != backend
        wake("fault-night")
        assert waiter.wait(30.0, {"fault-night"}) is True
    finally:
        waiter.close()


def test_a_write_is_tried_again_after_a_database_error():
    import logging

    from django.db import OperationalError

    from pyros.majordome.persist import persist

    attempts: list[int] = []

    def write(attempt: int) -> str:
        attempts.append(attempt)
        if attempt < 2:
            raise OperationalError("terminating connection due to administrator command")
        return "written"

    assert persist(write, "a frame", logging.getLogger("test")) == "written"
    assert attempts == [0, 1, 2]


def test_a_write_gives_up_when_the_outage_lasts():
    import logging

    from django.db import OperationalError

    from pyros.majordome.persist import persist

    def write(attempt: int) -> None:
        raise OperationalError("connection refused")

    with pytest.raises(OperationalError, match="connection refused"):
        persist(write, "a frame", logging.getLogger("test"), retry_for=0.5)


def test_a_stop_signal_takes_no_lock():
    """SIGTERM landing while the supervisor's loop holds its stop event's lock (inside
    Event.wait) used to deadlock the handler (Event.set takes the same lock)."""
    from pyros.agents.supervisor import Supervisor

    supervisor = Supervisor("test", [], None)
    with supervisor.stopping._cond:  # as inside Event.wait, when the signal comes
        supervisor._on_signal(15, None)
    assert supervisor.signalled
