"""``pyros start``'s wait: until every part it started is really up (the web server
answers, the simulators listen, each agent beats), naming what is slow and what it is
doing meanwhile.

A start is declared failed only when it *stalls*: no part became ready and no pending
part used any CPU for the whole patience (``--wait``, stretched by the machine's load),
or the supervisor itself is gone. A busy computer that takes a minute to import astropy
in five processes at once is slow, not broken: its processes keep using CPU, and
``pyros start`` keeps waiting and says who it waits for. A hard limit (ten patiences,
at least the supervisor's own start grace) ends even a start that keeps busy forever.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

#: The load average per core beyond which the patience grows, and its largest stretch.
MAX_LOAD_STRETCH = 4.0
#: Seconds between two "still waiting for" lines.
REPORT_EVERY = 10.0
#: The hard limit is this many patiences, and at least the supervisor's start grace.
HARD_LIMIT_PATIENCES = 10.0
#: CPU seconds a pending part must use between two looks to count as working.
WORKING_CPU = 0.02


@dataclass
class Part:
    """One thing ``pyros start`` waits for, and what it is doing while not ready."""

    name: str
    ready: bool
    doing: str = ""
    cpu: float | None = None  # CPU seconds of its process group, when known
    deaths: int = 0


def load_stretch(load: float | None = None, cores: int | None = None) -> float:
    """How much longer than usual a start may take now: the 1-minute load average per
    core, between 1 and :data:`MAX_LOAD_STRETCH`."""
    if load is None:
        try:
            load = os.getloadavg()[0]
        except OSError:  # not available on this platform
            return 1.0
    cores = cores or os.cpu_count() or 1
    return min(MAX_LOAD_STRETCH, max(1.0, load / cores))


def hard_limit(patience: float, start_grace: float) -> float:
    return max(patience * HARD_LIMIT_PATIENCES, start_grace)


def group_cpu_seconds(pgid: int, proc: Path = Path("/proc")) -> float | None:
    """User + system CPU seconds of the processes of group ``pgid`` (a child and the
    workers it forked: the supervisor starts each child in a session of its own), or
    None where ``/proc`` does not tell."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total, seen = 0, False
    try:
        entries = list(proc.iterdir())
    except OSError:
        return None
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:  # ended meanwhile, or not ours to read
            continue
        fields = text[text.rfind(")") + 2:].split()
        # After the command: state, ppid, pgrp, ... utime (12th), stime (13th).
        if len(fields) > 12 and fields[2] == str(pgid):
            total += int(fields[11]) + int(fields[12])
            seen = True
    return total / ticks if seen else None


def web_probe(url: str, timeout: float = 1.0) -> tuple[bool, str]:
    """(answers, what it does): ready when the home page answers below 500."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status < 500, f"answers HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return exc.code < 500, f"answers HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, ConnectionRefusedError):
            return False, "its port is not open yet (gunicorn loading Django)"
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            return False, "its port is open but no answer within 1 s (workers starting)"
        return False, f"no answer ({reason})"


def read_children(children_file: Path) -> dict[str, dict]:
    """The supervisor's published children (see ``supervisor.CHILDREN_FILE``)."""
    try:
        return json.loads(children_file.read_text())
    except (OSError, ValueError):
        return {}


def describe_process(child: dict | None, now: float, cpu: float | None) -> str:
    """``process 123, up 12 s, 3.4 s CPU`` or why there is none."""
    if not child:
        return "not started by the supervisor yet"
    if child.get("pid") is None:
        last = child.get("last_exit")
        return f"exited (code {last}), the supervisor restarts it"
    text = f"process {child['pid']}, up {max(0.0, now - (child.get('started') or now)):.0f} s"
    if cpu is not None:
        text += f", {cpu:.1f} s CPU"
    return text


def describe_deaths(child: dict | None) -> str:
    restarts = (child or {}).get("restarts") or 0
    if not restarts:
        return ""
    return f"; died {restarts} time{'s' if restarts > 1 else ''} (last exit code " \
           f"{(child or {}).get('last_exit')})"


def pending_text(parts: list[Part]) -> str:
    return "; ".join(f"{p.name}: {p.doing}" for p in parts if not p.ready)


@dataclass
class Wait:
    """The decision part of the wait, apart from the looking: fed each look's parts,
    it says whether the start progressed, stalled or ran out of time."""

    patience: float
    limit: float
    began: float
    last_progress: float = 0.0

    def __post_init__(self) -> None:
        self.last_progress = self.began
        self._ready: set[str] = set()
        self._cpu: dict[str, float] = {}

    def look(self, parts: list[Part], now: float) -> str | None:
        """None while the start may go on; else why it failed."""
        ready = {p.name for p in parts if p.ready}
        progressed = bool(ready - self._ready)
        for part in parts:
            if part.ready or part.cpu is None:
                continue
            before = self._cpu.get(part.name)
            # A part that died does not count as working: a crash loop uses CPU too.
            if before is not None and part.cpu - before >= WORKING_CPU and not part.deaths:
                progressed = True
            self._cpu[part.name] = part.cpu
        self._ready = ready
        if progressed:
            self.last_progress = now
        if now - self.last_progress >= self.patience:
            return (f"nothing progressed for {now - self.last_progress:.0f} s "
                    f"(patience {self.patience:.0f} s)")
        if now - self.began >= self.limit:
            return f"still not up after {now - self.began:.0f} s (limit {self.limit:.0f} s)"
        return None


def wait_until_up(look: Callable[[], list[Part]], supervisor_alive: Callable[[], bool],
                  wait: float, start_grace: float,
                  report: Callable[[str], None]) -> tuple[list[Part], str | None]:
    """Look until every part is ready (returns the parts and None) or the start failed
    (the parts and why). ``report`` gets a "still waiting" line every
    :data:`REPORT_EVERY` seconds."""
    patience = wait * load_stretch()
    state = Wait(patience, hard_limit(patience, start_grace), time.monotonic())
    next_report = state.began + min(REPORT_EVERY, wait)
    while True:
        parts = look()
        if all(p.ready for p in parts) and supervisor_alive():
            return parts, None
        if not supervisor_alive():
            return parts, "the supervisor is not running (it exited)"
        now = time.monotonic()
        failure = state.look(parts, now)
        if failure:
            return parts, failure
        if now >= next_report:
            report(f"still waiting after {now - state.began:.0f} s for {pending_text(parts)}")
            next_report = now + REPORT_EVERY
        time.sleep(0.25)
