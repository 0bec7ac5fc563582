"""An ordered plan being built: which candidate runs when, and the overheads between them.
Shared by every engine, so that all of them obey the same rules."""

from __future__ import annotations

import math
from dataclasses import dataclass

from pyros.scheduling.candidates import Candidate
from pyros.scheduling.problem import Overheads


@dataclass
class Slot:
    candidate: Candidate
    start: int

    @property
    def end(self) -> int:
        return self.start + self.candidate.duration


def gap(overheads: Overheads, before: Candidate | None, after: Candidate) -> int:
    """Whole seconds needed between two consecutive sequences (none before the first:
    the telescope is set up before the night starts)."""
    if before is None:
        return 0
    return math.ceil(overheads.between(before.sequence, after.sequence))


def earliest_schedule(order: list[Candidate], overheads: Overheads, start_from: int,
                      previous: Candidate | None = None) -> list[Slot] | None:
    """Every candidate as early as its allowed starts and the overheads let it, in the
    given order; None when the order cannot be kept."""
    slots: list[Slot] = []
    moment = start_from
    for candidate in order:
        start = candidate.first_start_from(moment + gap(overheads, previous, candidate))
        if start is None:
            return None
        slots.append(Slot(candidate, start))
        moment, previous = start + candidate.duration, candidate
    return slots


def schedule_keeping_order(order: list[Candidate], overheads: Overheads, start_from: int,
                           quotas: dict[str, float] | None = None) -> list[Slot]:
    """Each candidate as early as possible in the given order, once; a candidate that
    no longer fits where its turn comes, or in its program's quota, is left out."""
    slots: list[Slot] = []
    seen: set[int] = set()
    left = dict(quotas or {})
    moment, previous = start_from, None
    for candidate in order:
        if id(candidate) in seen:
            continue
        if candidate.program in left and left[candidate.program] < candidate.duration:
            continue
        start = candidate.first_start_from(moment + gap(overheads, previous, candidate))
        if start is None:
            continue
        seen.add(id(candidate))
        if candidate.program in left:
            left[candidate.program] -= candidate.duration
        slots.append(Slot(candidate, start))
        moment, previous = start + candidate.duration, candidate
    return slots


def check_order(slots: list[Slot], overheads: Overheads) -> bool:
    previous: Slot | None = None
    for slot in slots:
        if not slot.candidate.allows(slot.start):
            return False
        if previous is not None and slot.start < previous.end + gap(
                overheads, previous.candidate, slot.candidate):
            return False
        previous = slot
    return True


def objective(slots: list[Slot]) -> int:
    return sum(slot.candidate.weight for slot in slots)
