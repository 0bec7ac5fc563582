"""``pyros bench commands``: how fast a command goes from a sender to an agent and back.

One agent process (agentB under a name of its own) serves; this process sends. Round
trip = send, the agent claims and executes, the sender sees the result. Throughput =
commands sent back to back, until the last result is in. The baseline is the same
sender writing and reading back one row with no agent involved: the ratio says what
the agent and the waiting add to the database's own cost.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta

from django.db import connection

from pyros import clock
from pyros.agents.bus import send_command
from pyros.agents.models import AgentSurvey, Command
from pyros.agents.notify import uses_notifications
from pyros.agents.states import CommandState


@dataclass
class CommandBench:
    database: str
    notifications: bool
    round_trips: int
    p50_ms: float
    p99_ms: float
    mean_ms: float
    baseline_p50_ms: float
    p50_over_baseline: float
    throughput_commands: int
    throughput_per_s: float

    def as_dict(self) -> dict:
        return asdict(self)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _baseline_once() -> None:
    now = clock.now()
    row = Command.objects.create(sender="bench", recipient="nobody", name="baseline",
                                 created_at=now, expires_at=now, timeout=1,
                                 state=CommandState.SKIPPED)
    Command.objects.filter(pk=row.pk).update(result={"ok": True})
    Command.objects.get(pk=row.pk)


def run_command_bench(round_trips: int = 500, throughput: int = 2000,
                      progress: Callable[[str], None] = lambda _: None) -> CommandBench:
    name = f"bench-{socket.gethostname()}-{os.getpid()}"
    agent = subprocess.Popen([sys.executable, "-m", "pyros.agents.run", "agentB", "--as", name,
                              "--computer", "bench"], stdin=subprocess.DEVNULL)
    try:
        _wait_alive(name)
        progress(f"agent {name} is up; {round_trips} round trips")
        for _ in range(20):  # warm-up: connections, caches
            send_command(name, "ping", sender="bench").wait(10)
        latencies = []
        for _ in range(round_trips):
            start = time.perf_counter()
            handle = send_command(name, "ping", sender="bench").wait(10)
            latencies.append((time.perf_counter() - start) * 1000)
            if handle.state != CommandState.EXECUTED:
                raise RuntimeError(f"command #{handle.id} ended {handle.state}: {handle.error}")
        baseline = []
        for _ in range(round_trips):
            start = time.perf_counter()
            _baseline_once()
            baseline.append((time.perf_counter() - start) * 1000)
        progress(f"{throughput} commands back to back")
        start = time.perf_counter()
        first = send_command(name, "ping", sender="bench")
        for _ in range(throughput - 2):
            send_command(name, "ping", sender="bench")
        last = send_command(name, "ping", sender="bench").wait(120)
        elapsed = time.perf_counter() - start
        done = Command.objects.filter(recipient=name, pk__gte=first.id, pk__lte=last.id,
                                      state=CommandState.EXECUTED).count()
        if done != throughput:
            raise RuntimeError(f"only {done} of {throughput} commands were executed")
        send_command(name, "exit", sender="bench").wait(10)
    finally:
        try:
            agent.wait(10)
        except subprocess.TimeoutExpired:
            agent.kill()
        Command.objects.filter(recipient__in=[name, "nobody"]).delete()
        AgentSurvey.objects.filter(name=name).delete()
    p50, base = statistics.median(latencies), statistics.median(baseline)
    return CommandBench(
        database=connection.vendor, notifications=uses_notifications(),
        round_trips=round_trips, p50_ms=round(p50, 2),
        p99_ms=round(_percentile(latencies, 0.99), 2),
        mean_ms=round(statistics.fmean(latencies), 2), baseline_p50_ms=round(base, 2),
        p50_over_baseline=round(p50 / base, 1), throughput_commands=throughput,
        throughput_per_s=round(throughput / elapsed, 1))


def _wait_alive(name: str, timeout: float | None = None) -> None:
    """Until ``name`` beats: ``PYROS_START_WAIT`` seconds (as `pyros start`), 30 by
    default; a loaded machine (the suite gives 120) may take more to import Django."""
    if timeout is None:
        try:
            timeout = float(os.environ.get("PYROS_START_WAIT") or 30.0)
        except ValueError:
            timeout = 30.0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        survey = AgentSurvey.objects.filter(name=name).first()
        if survey and survey.last_beat and survey.is_alive(clock.now() + timedelta(0)):
            return
        time.sleep(0.05)
    raise RuntimeError(f"the benchmark agent {name} did not start within {timeout:g} s")
