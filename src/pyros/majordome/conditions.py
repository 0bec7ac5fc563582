"""What the other subsystems said, as a function of time, for the images' headers.

A frame's SAFETY and OBSSTATE must be those in force when its shutter opened: read when
the file is recorded (after the exposure and the readout) or refreshed now and then,
they described another moment — at ``--speed 20`` ten seconds of wall time are minutes
of the night. So the majordome records each change with the time it happened, and the
executor asks for the conditions at each exposure's start: frames exposed together, on
several channels, get the same answer.

Plain Python, thread-safe (the majordome's loop writes, the executor's thread reads).
"""

from __future__ import annotations

import bisect
import threading
from datetime import datetime

#: Changes kept: a night has a few hundred at most (states, safety, weather readings);
#: an exposure asks about its own start, at most an hour or so ago.
KEPT = 2000


class ConditionsLog:
    """Snapshots of the keywords (``{"SAFETY": "OK", "OBSSTATE": "OBSERVING", ...}``),
    one per change, each with the time it took effect."""

    def __init__(self) -> None:
        self._times: list[datetime] = []
        self._snapshots: list[dict[str, object]] = []
        self._lock = threading.Lock()

    def record(self, moment: datetime, **changes: object) -> None:
        """From ``moment`` on, these keywords have these values (the others keep theirs).
        A moment earlier than the last one means the clock went back (a simulated clock
        set to another time): what was recorded after it is forgotten."""
        with self._lock:
            while self._times and self._times[-1] > moment:
                self._times.pop()
                self._snapshots.pop()
            current = self._snapshots[-1] if self._snapshots else {}
            if all(current.get(key) == value for key, value in changes.items()):
                return
            snapshot = {**current, **changes}
            if self._times and self._times[-1] == moment:
                self._snapshots[-1] = snapshot
            else:
                self._times.append(moment)
                self._snapshots.append(snapshot)
            if len(self._times) > KEPT:
                del self._times[0], self._snapshots[0]

    def at(self, moment: datetime) -> dict[str, object]:
        """The keywords in force at ``moment``: the last change at or before it (the
        earliest known when ``moment`` is before every change; {} when none)."""
        with self._lock:
            if not self._snapshots:
                return {}
            index = bisect.bisect_right(self._times, moment) - 1
            return dict(self._snapshots[max(index, 0)])
