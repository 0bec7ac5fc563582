"""Agents as real processes: the self-test of agentA and agentB, the command line, the
benchmark, and what the supervisor does when an agent is killed (kill -9)."""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

from pyros import clock
from pyros.agents.bus import send_command
from pyros.agents.models import AgentLog, AgentSurvey, Command
from pyros.agents.states import FINAL_STATES
from pyros.agents.states import CommandState as S
from tests.waiting import wait_until

PYROS = [sys.executable, "-m", "pyros.cli"]


def pyros(env, *args, timeout=240) -> subprocess.CompletedProcess:
    return subprocess.run([*PYROS, *args], env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def test_agent_a_and_b_self_test(agent_env):
    done = pyros(agent_env, "start", "agentA,agentB", "--test", "--computer", "main")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "agentA: finished testing => result is ok (39 assertions)" in done.stdout
    survey = AgentSurvey.objects.get(name="agentB", computer="main")
    assert survey.status == "STOPPED" and not survey.is_alive(clock.now())


def test_agent_send_from_the_command_line(agent_env, start_agent):
    start_agent("agentB")
    answer = pyros(agent_env, "agent", "send", "agentB", "calc", "expression=6*7")
    assert (answer.returncode, answer.stdout.strip()) == (0, "42")
    status = json.loads(pyros(agent_env, "agent", "send", "agentB", "get_status").stdout)
    assert status["agent"] == "agentB" and status["mode"] == "ACTIVE"
    refused = pyros(agent_env, "agent", "send", "agentB", "calc", "expression=open('f')")
    assert refused.returncode == 1 and "FAILED: only numbers" in refused.stderr
    # Long enough to be running still when the next command (a new process) aborts it.
    slow = pyros(agent_env, "agent", "send", "agentB", "sleep", "seconds=600", "--wait", "0.3",
                 "--timeout", "600")
    # Not done after 0.3 s: exit code 2 and the state it is in (RUNNING, or PENDING still
    # on a loaded machine); the abort below needs it RUNNING.
    assert slow.returncode == 2 and ("RUNNING" in slow.stderr or "PENDING" in slow.stderr)
    wait_until(lambda: Command.objects.filter(name="sleep", state=S.RUNNING).exists(),
               "the sleep to run")
    aborted = json.loads(pyros(agent_env, "agent", "send", "agentB", "abort").stdout)
    assert aborted["aborted"] is not None
    listed = pyros(agent_env, "agent", "list")
    assert "agentB@test: alive" in listed.stdout
    logs = pyros(agent_env, "agent", "logs", "agentB")
    assert "started (pid" in logs.stdout and "abort from cli" in logs.stdout


def test_benchmark_reports_figures(agent_env):
    run = pyros(agent_env, "bench", "commands", "--json", "--round-trips", "20",
                "--throughput", "50")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["round_trips"] == 20 and report["throughput_commands"] == 50
    assert 0 < report["p50_ms"] <= report["p99_ms"] and report["throughput_per_s"] > 0
    assert not Command.objects.exists(), "the benchmark cleans up after itself"


def _executions() -> Counter:
    """How many times each command really ran: the 'record' command logs one line."""
    counts: Counter = Counter()
    for message in AgentLog.objects.filter(agent="agentB", message__startswith="executed command #"
                                           ).values_list("message", flat=True):
        counts[int(message.split("#")[1].split()[0])] += 1
    return counts


def _kill_current(pid: int) -> float:
    os.kill(pid, signal.SIGKILL)
    return time.monotonic()


def _wait_restarted(old_pid: int) -> tuple[int, float]:
    def restarted() -> bool:
        survey = AgentSurvey.objects.get(name="agentB", computer="test")
        return survey.pid != old_pid and survey.status == "RUNNING"

    wait_until(restarted, "agentB to be restarted")
    survey = AgentSurvey.objects.get(name="agentB", computer="test")
    return survey.pid, time.monotonic()


def test_killed_agents_lose_nothing_and_run_nothing_twice(agent_env):
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "pyros.agents.supervisor", "--computer", "test",
         "--agents", "agentB"], env=agent_env, stdin=subprocess.DEVNULL)
    try:
        wait_until(lambda: AgentSurvey.objects.filter(name="agentB", computer="test",
                                                      status="RUNNING").exists(),
                   what="agentB to start")
        pid = AgentSurvey.objects.get(name="agentB", computer="test").pid

        # 1. Killed while it executes a long command, with 20 commands queued behind.
        long = send_command("agentB", "sleep", sender="test", seconds=60, timeout=120)
        wait_until(lambda: long.refresh().state == S.RUNNING, what="the long command")
        queued = [send_command("agentB", "record", sender="test", tag=f"q{i}")
                  for i in range(20)]
        killed_at = _kill_current(pid)
        pid, back_at = _wait_restarted(pid)
        first_restart = back_at - killed_at
        for handle in queued:
            handle.wait(30)
        assert long.refresh().state == S.KILLED and "died" in long.error

        # 2. Killed again in the middle of a stream of short commands.
        stream = [send_command("agentB", "record", sender="test", tag=f"s{i}")
                  for i in range(200)]
        wait_until(lambda: Command.objects.filter(pk__in=[h.id for h in stream],
                                                  state=S.EXECUTED).count() >= 20,
                   what="the stream to be under way")
        killed_at = _kill_current(pid)
        pid, back_at = _wait_restarted(pid)
        second_restart = back_at - killed_at
        for handle in stream:
            handle.wait(30)

        runs = _executions()
        everything = [*queued, *stream]
        states = Counter(h.refresh().state for h in everything)
        lost = [h.id for h in everything if h.state not in FINAL_STATES]
        twice = [pk for pk, count in runs.items() if count > 1]
        executed_not_run = [h.id for h in everything
                            if h.state == S.EXECUTED and runs[h.id] != 1]
        print(f"\nfault test on {agent_env['DATABASE_URL'].split(':')[0]}: "
              f"{len(everything)} commands, states {dict(states)}, lost {len(lost)}, "
              f"run twice {len(twice)}, restarts after {first_restart:.2f} s and "
              f"{second_restart:.2f} s")
        assert all(h.state == S.EXECUTED for h in queued), "queued commands run after restart"
        assert lost == [] and twice == [] and executed_not_run == []
        assert states[S.EXECUTED] >= len(everything) - 1
        assert states[S.EXECUTED] + states[S.KILLED] == len(everything)
        survey = AgentSurvey.objects.get(name="agentB", computer="test")
        assert survey.restarts == 2 and survey.last_restart is not None
        assert AgentLog.objects.filter(agent="agentB",
                                       message__contains="died (killed by signal 9)").count() == 2
    finally:
        supervisor.send_signal(signal.SIGTERM)
        supervisor.wait(30)
    assert AgentSurvey.objects.get(name="agentB", computer="test").status == "STOPPED"


def test_a_frozen_agent_is_killed_and_restarted(agent_env):
    """SIGSTOP: the process is alive, its heartbeat has stopped. The supervisor takes it
    for hung after PYROS_AGENT_HUNG_AFTER seconds without a new beat, kills it, says
    why, and it starts again; a command sent while it was frozen is then executed."""
    env = {**agent_env, "PYROS_AGENT_HUNG_AFTER": "6"}
    supervisor = subprocess.Popen(
        [sys.executable, "-m", "pyros.agents.supervisor", "--computer", "test",
         "--agents", "agentB"], env=env, stdin=subprocess.DEVNULL)
    try:
        wait_until(lambda: AgentSurvey.objects.filter(name="agentB", computer="test",
                                                      status="RUNNING").exists(),
                   what="agentB to start")
        pid = AgentSurvey.objects.get(name="agentB", computer="test").pid
        os.kill(pid, signal.SIGSTOP)
        waiting = send_command("agentB", "record", sender="test", tag="frozen", validity=120)
        _wait_restarted(pid)
        assert waiting.wait(30).state == S.EXECUTED
        logged = AgentLog.objects.filter(agent="agentB", message__contains="no heartbeat for")
        assert logged.exists() and "killed as hung" in logged.first().message
        assert AgentSurvey.objects.get(name="agentB", computer="test").restarts == 1
    finally:
        supervisor.send_signal(signal.SIGTERM)
        supervisor.wait(30)
