"""Large-neighbourhood search by time windows: free an hour or two of the plan and
re-plan that stretch exactly, keeping the rest.

A window's sub-problem is small — the handful of sequences that fit between the kept
neighbours, chosen among the candidates observable then — so CP-SAT solves it to
optimality in milliseconds, where the whole night would take it minutes. Sliding the
window across the night repairs the greedy's local mistakes (a long sequence that
blocked two better ones, a wait that a short sequence could have filled).
"""

from __future__ import annotations

import math
import time

from ortools.sat.python import cp_model

from pyros.scheduling.candidates import Candidate
from pyros.scheduling.optimal import cp_solver
from pyros.scheduling.problem import Overheads
from pyros.scheduling.timeline import Slot, check_order, gap, objective

WINDOW = 7200  # seconds freed at a time
STRIDE = 2400  # seconds between two windows
WINDOW_WORK = 0.05  # CP-SAT's deterministic time per window


def improve_by_windows(slots: list[Slot], items: list[Candidate], overheads: Overheads,
                       quotas: dict[str, float], horizon: tuple[int, int], *,
                       deadline: float) -> list[Slot]:
    first, last = horizon
    for offset in (0, STRIDE // 2):
        for begin in range(first - offset, last, STRIDE):
            if time.perf_counter() > deadline:
                return slots
            better = _rewindow(slots, items, overheads, quotas, begin, begin + WINDOW,
                               deadline)
            if better is not None:
                slots = better
    return slots


def _rewindow(slots: list[Slot], items: list[Candidate], overheads: Overheads,
              quotas: dict[str, float], begin: int, end: int,
              deadline: float) -> list[Slot] | None:
    before = [s for s in slots if s.end <= begin]
    after = [s for s in slots if s.start >= end]
    freed = [s for s in slots if s.end > begin and s.start < end]
    kept_ids = {id(s.candidate) for s in before + after}
    tail = math.ceil(overheads.most)
    lo = before[-1].end if before else -(10 ** 9)
    hi = after[0].start if after else 10 ** 9
    left = dict(quotas)
    for slot in before + after:
        if slot.candidate.program in left:
            left[slot.candidate.program] -= slot.candidate.duration
    pool = []
    for candidate in items:
        if id(candidate) in kept_ids:
            continue
        earliest = lo + (gap(overheads, before[-1].candidate, candidate) if before else 0)
        latest = hi - candidate.duration - (
            gap(overheads, candidate, after[0].candidate) if after else 0)
        allowed = [(max(a, earliest), min(b, latest)) for a, b in candidate.starts
                   if min(b, latest) >= max(a, earliest)]
        if allowed:
            pool.append((candidate, allowed))
    if not pool:
        return None
    model = cp_model.CpModel()
    present, starts, intervals = [], [], []
    hinted = {id(s.candidate): s.start for s in freed}
    for i, (candidate, allowed) in enumerate(pool):
        start = model.NewIntVarFromDomain(cp_model.Domain.FromIntervals(
            [[a, b] for a, b in allowed]), f"s{i}")
        chosen = model.NewBoolVar(f"p{i}")
        intervals.append(model.NewOptionalFixedSizeIntervalVar(
            start, candidate.duration + tail, chosen, f"i{i}"))
        if id(candidate) in hinted:
            model.AddHint(chosen, 1)
            model.AddHint(start, hinted[id(candidate)])
        else:
            model.AddHint(chosen, 0)
        present.append(chosen)
        starts.append(start)
    model.AddNoOverlap(intervals)
    for program, seconds in left.items():
        members = [i for i, (c, _) in enumerate(pool) if c.program == program]
        if members:
            model.Add(sum(pool[i][0].duration * present[i] for i in members)
                      <= max(0, math.floor(seconds)))
    model.Maximize(sum(c.weight * p for (c, _), p in zip(pool, present, strict=True)))
    solver = cp_solver(time_limit=deadline - time.perf_counter(), work=WINDOW_WORK)
    if solver.Solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    if solver.ObjectiveValue() <= objective(freed) + 1e-6:
        return None
    middle = sorted((Slot(c, solver.Value(s)) for (c, _), s, p
                     in zip(pool, starts, present, strict=True) if solver.Value(p)),
                    key=lambda slot: slot.start)
    candidate_plan = before + middle + after
    return candidate_plan if check_order(candidate_plan, overheads) else None
