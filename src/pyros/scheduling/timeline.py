"""An ordered plan being built: which candidate runs when, and the overheads between them.
Shared by every engine, so that all of them obey the same rules."""

from __future__ import annotations

import math
from collections.abc import Callable
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


def forward_pass(order: list[Candidate], overheads: Overheads, start_from: int,
                 previous: Candidate | None = None, *,
                 may_drop: Callable[[Candidate], bool] = lambda _: False,
                 quotas: dict[str, float] | None = None
                 ) -> tuple[list[Slot], list[Candidate]] | None:
    """Each candidate of the order, once, as early as its allowed starts, the overheads
    and the quotas let it. One that no longer fits when its turn comes is dropped if
    ``may_drop`` says so, else the whole order is refused (None). Returns the slots and
    the dropped candidates."""
    slots: list[Slot] = []
    dropped: list[Candidate] = []
    seen: set[int] = set()
    left = dict(quotas or {})
    moment = start_from
    for candidate in order:
        if id(candidate) in seen:
            continue
        start = None
        if not (candidate.program in left and left[candidate.program] < candidate.duration):
            start = candidate.first_start_from(moment + gap(overheads, previous, candidate))
        if start is None:
            if not may_drop(candidate):
                return None
            dropped.append(candidate)
            continue
        seen.add(id(candidate))
        if candidate.program in left:
            left[candidate.program] -= candidate.duration
        slots.append(Slot(candidate, start))
        moment, previous = start + candidate.duration, candidate
    return slots, dropped


def earliest_schedule(order: list[Candidate], overheads: Overheads, start_from: int,
                      previous: Candidate | None = None) -> list[Slot] | None:
    """The order kept whole, as early as possible; None when it cannot be kept."""
    outcome = forward_pass(order, overheads, start_from, previous)
    return None if outcome is None else outcome[0]


def schedule_keeping_order(order: list[Candidate], overheads: Overheads, start_from: int,
                           quotas: dict[str, float] | None = None) -> list[Slot]:
    """The order as early as possible, leaving out what no longer fits, in time or in
    its program's quota, when its turn comes."""
    outcome = forward_pass(order, overheads, start_from, may_drop=lambda _: True,
                           quotas=quotas)
    assert outcome is not None  # nothing is refused when everything may be dropped
    return outcome[0]


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
