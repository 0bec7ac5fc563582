"""What an executed sequence cost, split by what the telescope was doing (plain Python).

A sequence is charged the wall-clock time it held the telescope, from the night log's
"started" entry to its end entry. Channels expose in parallel, so the parts are measured
on the time line, not summed per camera:

- **exposure**: while at least one shutter was open;
- **readout**: while a camera was reading out and no shutter was open;
- **slew**: from the slew command to the mount's stop (to the end, when interrupted);
- **overhead**: the rest — reading the mount, the dome, settling, filter changes, the
  executor's own bookkeeping.

The four parts add up to the charged seconds exactly (each interval is clipped to the
charged span, and the slew only counts outside the other two), so the breakdown never
claims more than the program pays.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class ImageSpan:
    """One image's shutter time and the readout after it."""

    opened: datetime
    closed: datetime
    read_out: datetime | None = None  # None: the readout is unknown (counted as overhead)


@dataclass(frozen=True)
class Breakdown:
    """Seconds per part; ``total`` is what the program is charged."""

    exposure: float
    readout: float
    slew: float
    overhead: float

    @property
    def total(self) -> float:
        return self.exposure + self.readout + self.slew + self.overhead

    def as_dict(self) -> dict[str, float]:
        return {"exposure": round(self.exposure, 3), "readout": round(self.readout, 3),
                "slew": round(self.slew, 3), "overhead": round(self.overhead, 3)}


def _clip(intervals: Iterable[Interval], span: Interval) -> list[Interval]:
    lo, hi = span
    return [(max(a, lo), min(b, hi)) for a, b in intervals if min(b, hi) > max(a, lo)]


def _union(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _length(intervals: Iterable[Interval]) -> float:
    return sum((b - a).total_seconds() for a, b in intervals)


def _minus(intervals: list[Interval], taken: list[Interval]) -> list[Interval]:
    """``intervals`` without ``taken`` (both unions)."""
    out: list[Interval] = []
    for a, b in intervals:
        pieces = [(a, b)]
        for c, d in taken:
            pieces = [piece for x, y in pieces for piece in
                      ((x, min(y, c)), (max(x, d), y)) if piece[1] > piece[0]]
        out.extend(pieces)
    return out


def breakdown(start: datetime, end: datetime, images: Iterable[ImageSpan],
              slew: Interval | None = None) -> Breakdown:
    """The parts of ``[start, end]`` (see the module's docstring)."""
    span = (start, max(start, end))
    images = list(images)
    exposing = _union(_clip(((i.opened, i.closed) for i in images), span))
    reading = _minus(_union(_clip(((i.closed, i.read_out) for i in images
                                   if i.read_out is not None), span)), exposing)
    busy = _union(exposing + reading)
    slewing = _minus(_union(_clip([slew] if slew else [], span)), busy)
    exposure, readout, slew_s = _length(exposing), _length(reading), _length(slewing)
    total = (span[1] - span[0]).total_seconds()
    return Breakdown(exposure, readout, slew_s, max(0.0, total - exposure - readout - slew_s))
