"""When the chosen sequences run, once the engines have chosen them and their order.

With the order fixed, the starts that bring every sequence closest to the start it
prefers (BESTELEV: its target highest in the middle of the sequence; IMMEDIATE: its
earliest; a preferred time: the nearest allowed start to it) — a minute of a
priority-8 sequence's counting as much as eight of a priority-1's — with the exact
overheads between neighbours, are a small linear program solved exactly by CP-SAT in
milliseconds. It never changes which sequences run, so it never costs objective.
"""

from __future__ import annotations

import math

from ortools.sat.python import cp_model

from pyros.scheduling.optimal import cp_solver
from pyros.scheduling.problem import ObservationType, Overheads
from pyros.scheduling.timeline import Slot, check_order, earliest_schedule, gap

PLACEMENT_TIME_LIMIT = 1.0  # seconds; the problem is tiny, this is only a safety net
PLACEMENT_WORK = 0.05  # CP-SAT's deterministic time for the placement
REORDER_WORK = 0.02  # CP-SAT's deterministic time for choosing the order
REORDER_TIME_LIMIT = 0.5  # seconds; a safety net as well
QUICK_REORDER_WORK = 0.003  # the same for the fast engine


def place(slots: list[Slot], overheads: Overheads, *, movable_from: int = 0,
          time_limit: float = PLACEMENT_TIME_LIMIT) -> list[Slot]:
    """Better starts for an ordered, valid plan; slots starting before ``movable_from``
    stay where they are. Returns the plan unchanged if it cannot improve it.
    ``time_limit``: the wall-clock safety net (the deterministic work stops it first)."""
    if not slots:
        return slots
    model = cp_model.CpModel()
    starts = []
    deviations = []
    for i, slot in enumerate(slots):
        candidate = slot.candidate
        if slot.start < movable_from:
            start = model.NewConstant(slot.start)
        else:
            lowest = max(movable_from, candidate.starts[0][0])
            domain = cp_model.Domain.FromIntervals(
                [[max(lo, lowest), hi] for lo, hi in candidate.starts if hi >= lowest])
            start = model.NewIntVarFromDomain(domain, f"s{i}")
            model.AddHint(start, slot.start)
            deviation = model.NewIntVar(0, 2 * 86400, f"d{i}")
            model.AddAbsEquality(deviation, start - candidate.preferred_start)
            deviations.append(candidate.sequence.priority * deviation)
        starts.append(start)
    for i in range(1, len(slots)):
        needed = slots[i - 1].candidate.duration + gap(
            overheads, slots[i - 1].candidate, slots[i].candidate)
        model.Add(starts[i] >= starts[i - 1] + needed)
    if not deviations:
        return slots
    model.Minimize(sum(deviations))
    solver = cp_solver(time_limit=time_limit, work=PLACEMENT_WORK)
    if solver.Solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return slots
    placed = [Slot(slot.candidate, solver.Value(start)) for slot, start in zip(
        slots, starts, strict=True)]
    return placed if check_order(placed, overheads) else slots


def advance_immediate(slots: list[Slot], overheads: Overheads, start_from: int) -> list[Slot]:
    """Move each IMMEDIATE sequence to the earliest place in the order it can take
    without losing any other sequence: as early as possible, at no cost in objective."""
    order = [slot.candidate for slot in slots]
    immediate = [c for c in order if c.sequence.obs_type == ObservationType.IMMEDIATE]
    if not immediate:
        return slots
    for candidate in immediate:
        here = order.index(candidate)
        for position in range(here):
            trial = [*order[:position], candidate, *order[position:here], *order[here + 1:]]
            if earliest_schedule(trial, overheads, start_from) is not None:
                order = trial
                break
    if order == [slot.candidate for slot in slots]:
        return slots
    moved = earliest_schedule(order, overheads, start_from)
    return moved if moved is not None else slots


def reorder(slots: list[Slot], overheads: Overheads, *, movable_from: int = 0,
            time_limit: float = REORDER_TIME_LIMIT, work: float = REORDER_WORK) -> list[Slot]:
    """The same sequences in the order that brings each closest to the start it prefers
    (the engines choose *which* sequences by their worth, and their order only so that
    they fit): CP-SAT with every chosen sequence present, from the current order. The
    overhead between two sequences is taken at its largest here; :func:`place` then
    times the order with the exact ones."""
    movable = [s for s in slots if s.start >= movable_from]
    if len(movable) < 2:
        return slots
    fixed = [s for s in slots if s.start < movable_from]
    tail = math.ceil(overheads.most)
    model = cp_model.CpModel()
    starts, intervals, deviations = [], [], []
    for i, slot in enumerate(movable):
        candidate = slot.candidate
        lowest = max(movable_from, fixed[-1].end + tail if fixed else movable_from)
        allowed = [[max(lo, lowest), hi] for lo, hi in candidate.starts if hi >= lowest]
        if not allowed:
            return slots
        start = model.NewIntVarFromDomain(cp_model.Domain.FromIntervals(allowed), f"s{i}")
        model.AddHint(start, slot.start)
        intervals.append(model.NewFixedSizeIntervalVar(start, candidate.duration + tail, f"i{i}"))
        deviation = model.NewIntVar(0, 2 * 86400, f"d{i}")
        model.AddAbsEquality(deviation, start - candidate.preferred_start)
        deviations.append(candidate.sequence.priority * deviation)
        starts.append(start)
    model.AddNoOverlap(intervals)
    model.Minimize(sum(deviations))
    solver = cp_solver(time_limit=time_limit, work=work)
    if solver.Solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return slots
    moved = sorted((Slot(slot.candidate, solver.Value(start))
                    for slot, start in zip(movable, starts, strict=True)),
                   key=lambda s: s.start)
    # The solver's own times, checked with the exact overheads, prove the order.
    return fixed + moved if check_order(fixed + moved, overheads) else slots
