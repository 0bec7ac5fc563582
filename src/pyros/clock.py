"""Injectable time: every piece of PyROS that needs "now" asks a Clock.

Operations use the real clock; tests and the demo use a simulated one that can run a
whole night in seconds (a speed factor) or be stepped by hand. The process-wide clock
is set once at start-up with :func:`set_clock` and read with :func:`now`.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """What a clock offers: the current UTC time, and a way to let time pass."""

    def now(self) -> datetime: ...

    def sleep(self, seconds: float) -> None: ...


class RealClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class SimulatedClock:
    """A clock that starts at a chosen instant and runs ``speed`` times faster than the
    wall clock; with ``speed=0`` it only moves when :meth:`advance` or :meth:`set` is
    called, which is what tests want."""

    def __init__(self, start: datetime, speed: float = 0.0, run: str = "") -> None:
        if start.tzinfo is None:
            raise ValueError("SimulatedClock needs a timezone-aware start time (UTC)")
        if speed < 0:
            raise ValueError(f"SimulatedClock speed must be >= 0, not {speed}")
        self._lock = threading.Lock()
        self._origin = start.astimezone(UTC)
        self._wall_origin = time.monotonic()
        self.speed = speed
        #: What tells this run's records from the wall clock's and from other runs'
        #: (readings are stamped with it: docs/simulated-time.md).
        self.run = run or f"sim {self._origin:%Y-%m-%dT%H:%M:%S} {id(self):x}"

    def now(self) -> datetime:
        with self._lock:
            elapsed = (time.monotonic() - self._wall_origin) * self.speed
            return self._origin + timedelta(seconds=elapsed)

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("SimulatedClock.set needs a timezone-aware time (UTC)")
        with self._lock:
            self._origin = instant.astimezone(UTC)
            self._wall_origin = time.monotonic()

    def advance(self, seconds: float) -> None:
        self.set(self.now() + timedelta(seconds=seconds))

    def set_speed(self, speed: float) -> None:
        """Go on from now at another pace, without a jump (a test slows down a moment
        whose outcome would otherwise depend on how busy the machine is)."""
        if speed < 0:
            raise ValueError(f"SimulatedClock speed must be >= 0, not {speed}")
        with self._lock:
            wall = time.monotonic()
            self._origin += timedelta(seconds=(wall - self._wall_origin) * self.speed)
            self._wall_origin = wall
            self.speed = speed

    def sleep(self, seconds: float) -> None:
        """Simulated time passes at once when stepped; at a speed, the wall waits less."""
        if seconds <= 0:
            return
        if self.speed == 0:
            self.advance(seconds)
        else:
            time.sleep(seconds / self.speed)


_current: Clock = RealClock()


def set_clock(clock: Clock) -> Clock:
    """Install ``clock`` as the process-wide clock; return the previous one."""
    global _current
    previous, _current = _current, clock
    return previous


def get_clock() -> Clock:
    return _current


def now() -> datetime:
    """The current UTC time according to the process-wide clock."""
    return _current.now()


def is_simulated() -> bool:
    """Whether the process-wide clock is a simulated one (pages then say so)."""
    return isinstance(_current, SimulatedClock)


def run_label() -> str:
    """"" under the wall clock; under a simulated clock, a name of its run, the same in
    every process of the run (a reading is stamped with it, so that a simulated night's
    data is never drawn on the same axis as real-time data)."""
    return getattr(_current, "run", "")


def pace() -> float:
    """Seconds of the process-wide clock per wall second: 1 for the real clock (and a
    stepped one), the speed of a running simulated clock. Loops run on the wall clock
    (an agent beats every wall second), so "how old may a beat be" is wall seconds times
    the pace in the clock's time."""
    speed = getattr(_current, "speed", 0.0)
    return speed if speed > 0 else 1.0


#: A simulated time for every process of a run: ``PYROS_CLOCK_START`` (ISO, UTC) is the
#: simulated instant at the wall time ``PYROS_CLOCK_EPOCH`` (Unix seconds), from which it
#: runs ``PYROS_CLOCK_SPEED`` times faster. The processes started together (agents,
#: simulators, web server) read the same three values and so agree on "now" exactly.
CLOCK_ENVIRONMENT = ("PYROS_CLOCK_START", "PYROS_CLOCK_EPOCH", "PYROS_CLOCK_SPEED")


def clock_environment(start: datetime, speed: float = 1.0) -> dict[str, str]:
    """The variables that give child processes a simulated clock starting now."""
    if start.tzinfo is None:
        raise ValueError("the simulated start needs a timezone (UTC)")
    return {"PYROS_CLOCK_START": start.astimezone(UTC).isoformat(),
            "PYROS_CLOCK_EPOCH": repr(time.time()), "PYROS_CLOCK_SPEED": repr(float(speed))}


def install_from_environment(environ: dict[str, str] | None = None) -> Clock:
    """Install the simulated clock the environment describes, if any; return the clock."""
    import os

    environ = os.environ if environ is None else environ
    start = environ.get("PYROS_CLOCK_START")
    if not start:
        return _current
    try:
        origin = datetime.fromisoformat(start)
        epoch = float(environ.get("PYROS_CLOCK_EPOCH") or time.time())
        speed = float(environ.get("PYROS_CLOCK_SPEED") or 1.0)
        if origin.tzinfo is None:
            raise ValueError("PYROS_CLOCK_START needs a timezone, e.g. 2026-11-22T04:00:00Z")
    except ValueError as exc:
        raise ValueError(f"bad simulated clock in the environment: {exc}") from None
    now = origin + timedelta(seconds=(time.time() - epoch) * speed)
    run = f"sim {origin:%Y-%m-%dT%H:%M:%S} x{speed:g} @{epoch:.0f}"
    simulated = SimulatedClock(now, speed=speed, run=run[:60])
    set_clock(simulated)
    return simulated
