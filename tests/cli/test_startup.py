"""`pyros start`'s wait on real readiness (issue 18: "did not come up within 30 s" on a
loaded machine while everything came up seconds later), and its refusal to run a
simulated night on real data."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from pyros import paths
from pyros.cli import startup
from pyros.cli.main import cli
from pyros.ports import free_port


def parts(*states: tuple[str, bool, float | None, int]) -> list[startup.Part]:
    return [startup.Part(name, ready, f"{name} doing", cpu, deaths)
            for name, ready, cpu, deaths in states]


def test_a_slow_but_working_start_is_never_declared_failed():
    """Processes still using CPU are working: the patience starts again at each look
    where a part came up or a pending one used CPU."""
    wait = startup.Wait(patience=30.0, limit=300.0, began=0.0)
    cpu = 1.0
    for second in range(0, 200, 5):  # 200 s of importing, far past the patience
        cpu += 0.5
        assert wait.look(parts(("web", False, cpu, 0)), float(second)) is None
    assert wait.look(parts(("web", True, cpu, 0)), 200.0) is None


def test_a_stalled_start_fails_after_the_patience_and_says_so():
    wait = startup.Wait(patience=30.0, limit=300.0, began=0.0)
    assert wait.look(parts(("agentX", False, 2.0, 0)), 0.0) is None
    assert wait.look(parts(("agentX", False, 2.0, 0)), 29.0) is None
    failure = wait.look(parts(("agentX", False, 2.0, 0)), 31.0)
    assert failure and "nothing progressed for 31 s" in failure


def test_a_crash_loop_is_no_progress_and_a_busy_loop_meets_the_hard_limit():
    crashing = startup.Wait(patience=30.0, limit=300.0, began=0.0)
    outcomes = [crashing.look(parts(("agentX", False, float(t), 1)), float(t))
                for t in range(0, 40, 2)]
    assert any(o and "nothing progressed" in o for o in outcomes)
    busy = startup.Wait(patience=30.0, limit=100.0, began=0.0)
    outcomes = [busy.look(parts(("agentX", False, float(t), 0)), float(t))
                for t in range(0, 110, 5)]
    assert outcomes[-1] and "limit 100 s" in outcomes[-1]


def test_the_patience_stretches_with_the_load_within_bounds():
    assert startup.load_stretch(0.5, 2) == 1.0
    assert startup.load_stretch(6.0, 2) == 3.0
    assert startup.load_stretch(40.0, 2) == startup.MAX_LOAD_STRETCH
    assert startup.hard_limit(30.0, 300.0) == 300.0
    assert startup.hard_limit(60.0, 300.0) == 600.0


def test_a_process_groups_cpu_time_is_read_and_a_missing_one_is_none():
    child = subprocess.Popen([sys.executable, "-c", "sum(range(10**7)); import time; "
                              "time.sleep(30)"], start_new_session=True)
    try:
        seconds = None
        for _ in range(200):
            seconds = startup.group_cpu_seconds(child.pid)
            if seconds:
                break
            subprocess.run(["sleep", "0.05"], check=True)
        assert seconds is not None and seconds > 0
    finally:
        child.kill()
        child.wait()
    assert startup.group_cpu_seconds(child.pid) is None


def test_the_web_probe_says_what_the_web_server_does():
    ready, doing = startup.web_probe(f"http://127.0.0.1:{free_port()}/")
    assert not ready and "port is not open yet" in doing


def test_what_a_slow_part_is_doing_is_said():
    child = {"pid": 4242, "started": 100.0, "restarts": 2, "last_exit": 1}
    assert startup.describe_process(child, 112.0, 3.44) == "process 4242, up 12 s, 3.4 s CPU"
    assert startup.describe_process(None, 0.0, None) == "not started by the supervisor yet"
    assert startup.describe_deaths(child) == "; died 2 times (last exit code 1)"
    assert startup.pending_text(parts(("web", True, None, 0), ("agentX", False, None, 0))) \
        == "agentX: agentX doing"


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("PYROS_HOME", str(tmp_path))
    monkeypatch.delenv("PYROS_CONFIG", raising=False)
    return tmp_path


def test_sim_time_on_real_data_is_refused_with_the_reason(home):
    result = CliRunner().invoke(cli, ["start", "--sim-time", "2026-11-22T04:00"])
    assert result.exit_code == 1
    assert "not a sandbox" in result.output
    assert "writes a future night into its database" in result.output
    assert "uses up its real requests" in result.output and "--on-real-data" in result.output
    assert not (home / "run" / "clock.json").exists()
    refused = CliRunner().invoke(cli, ["start", "--on-real-data"])
    assert refused.exit_code == 1 and "only goes with --sim-time" in refused.output


@pytest.mark.django_db
def test_sim_time_goes_on_in_a_sandbox_or_when_asked(home):
    """Past the check, the start goes on (and stops here, at an unknown agent name,
    before anything runs)."""
    asked = CliRunner().invoke(cli, ["start", "nosuchagent", "--sim-time",
                                     "2026-11-22T04:00", "--on-real-data"])
    assert "not a sandbox" not in asked.output and "unknown agent nosuchagent" in asked.output
    assert not paths.is_sandbox()
    marker = paths.mark_sandbox(home)
    assert marker == home / "sandbox" and paths.is_sandbox()
    sandboxed = CliRunner().invoke(cli, ["start", "nosuchagent", "--sim-time",
                                         "2026-11-22T04:00"])
    assert "unknown agent nosuchagent" in sandboxed.output


def test_mark_sandbox_creates_the_directory(tmp_path):
    fresh = tmp_path / "demo" / "home"
    paths.mark_sandbox(fresh)
    assert paths.is_sandbox(fresh) and not paths.is_sandbox(tmp_path)


@pytest.mark.whole_pyros
def test_a_start_on_a_busy_machine_waits_and_names_what_it_waits_for(tmp_path):
    """A patience of 1 s: the web server needs longer than that to import Django, yet
    the start succeeds, because its process keeps working; the wait says what it waits
    for."""
    from pyros.simulators.thread import example_on_free_ports

    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "PYROS_CONFIG", "DJANGO_SETTINGS_MODULE")}
    home = tmp_path / "home"
    home.mkdir()
    (home / "unit.toml").write_text(example_on_free_ports())
    env["PYROS_HOME"] = str(home)
    pyros = [sys.executable, "-m", "pyros.cli"]

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*pyros, *args], env=env, capture_output=True, text=True,
                              timeout=600, check=False)

    assert run("init", "--admin-password", "admin-pw-123").returncode == 0
    port = free_port()
    started = run("start", "web", "--port", str(port), "--wait", "1")
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        assert f"web: running at http://127.0.0.1:{port}/" in started.stdout
        assert urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30).status == 200
        assert (Path(home) / "run" / "children.json").exists()
    finally:
        run("stop")
    assert not (Path(home) / "run" / "children.json").exists()


@pytest.mark.django_db
def test_status_fits_80_columns_folding_and_says_the_simulated_clock(home, monkeypatch):
    """`pyros status` in an 80-column terminal: every line fits, nothing is cut with
    "…" (long cells fold), and a run on a simulated clock says so with its speed."""
    import json as jsonlib
    from datetime import UTC, datetime

    from pyros import clock
    from pyros.agents.models import AgentSurvey

    now = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
    status_text = "RUNNING plan_night with a very long explanation of what it does now"
    for name in ("scheduler", "majordome", "monitoring"):
        AgentSurvey.objects.create(name=name, computer="telescope-computer-main",
                                   pid=123456, status=status_text, started_at=now,
                                   last_beat=now, restarts=3)
    (home / "run").mkdir(parents=True, exist_ok=True)
    (home / "run" / "clock.json").write_text(jsonlib.dumps(clock.clock_environment(now, 20.0)))
    monkeypatch.setenv("COLUMNS", "80")
    previous = clock.get_clock()
    try:
        result = CliRunner().invoke(cli, ["status"])
        report = jsonlib.loads(CliRunner().invoke(cli, ["status", "--json"]).output)
    finally:
        clock.set_clock(previous)
    assert result.exit_code == 3  # no supervisor here
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80, result.output
    assert "…" not in result.output
    assert "clock: SIMULATED time 2026-11-22 04:0" in result.output and "20x" in result.output
    # Folded, not cut: every word of the long cells is there whole.
    assert all(word in result.output for word in status_text.split()), result.output
    assert report["clock"]["simulated"] is True and report["clock"]["speed"] == 20.0


def test_status_says_real_time_without_a_simulated_clock(home):
    from pyros.cli.status import clock_line, human_seconds

    assert clock_line({"simulated": False, "now": "2026-11-22T04:00:00+00:00",
                       "speed": 1.0}) == "clock: real time, 2026-11-22 04:00:00 UTC"
    assert [human_seconds(s) for s in (None, 45, 720, 11100, 190000)] == \
        ["-", "45 s", "12 min", "3 h 05", "2 d 04 h"]
