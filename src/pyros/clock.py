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

    def __init__(self, start: datetime, speed: float = 0.0) -> None:
        if start.tzinfo is None:
            raise ValueError("SimulatedClock needs a timezone-aware start time (UTC)")
        if speed < 0:
            raise ValueError(f"SimulatedClock speed must be >= 0, not {speed}")
        self._lock = threading.Lock()
        self._origin = start.astimezone(UTC)
        self._wall_origin = time.monotonic()
        self.speed = speed

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
