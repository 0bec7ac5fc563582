"""The optimising engine: the night as a constraint program for OR-Tools CP-SAT.

One optional interval per candidate, its start restricted to the intervals in which the
whole sequence is observable and inside its window, its length the duration plus the
overhead that must follow it (the fixed overhead, or the unit model's largest, which
the exact placement afterwards gives back where the slew is short); one no-overlap
constraint; one linear constraint per program with a quota; maximise the sum of
priority × duration of the chosen intervals. The greedy plan is given as a hint, so the
solver starts from a valid plan and only improves it.

It stops at the time limit, or sooner on a deterministic work limit (the same input
gives the same plan on any machine, whatever its load), and reports its objective and
the best bound it proved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ortools.sat.python import cp_model

from pyros.scheduling.candidates import Candidate
from pyros.scheduling.problem import Overheads
from pyros.scheduling.timeline import Slot

#: CP-SAT's deterministic work units per second of time limit. On the night model (with
#: its linear relaxation and cuts) one unit takes about 8 s on this project's 2-core
#: reference machine, so the work limit is what stops a normal run, and the wall-clock
#: limit only a much slower or busier machine.
WORK_PER_SECOND = 0.1


def cp_solver(*, time_limit: float, work: float, workers: int = 1) -> cp_model.CpSolver:
    """A CP-SAT solver as every part of the planner uses it: stopped by its
    deterministic ``work`` (so that the same input gives the same answer), the wall-clock
    ``time_limit`` only a backstop, a fixed seed."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, time_limit)
    solver.parameters.max_deterministic_time = work
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 0
    if workers > 1:
        solver.parameters.interleave_search = True  # deterministic with several workers
    return solver


@dataclass
class OptimiserOutcome:
    slots: list[Slot]
    objective: int
    bound: float  # math.inf when the solver proved nothing
    optimal: bool


def optimise(items: list[Candidate], overheads: Overheads, quotas: dict[str, float],
             hint: list[Slot], *, time_limit: float, work: float | None = None,
             workers: int = 1) -> OptimiserOutcome:
    """``work``: CP-SAT's deterministic time limit (default: the time limit's worth)."""
    model = cp_model.CpModel()
    tail = math.ceil(overheads.most)
    starts, presences, intervals = [], [], []
    for i, candidate in enumerate(items):
        domain = cp_model.Domain.FromIntervals([[lo, hi] for lo, hi in candidate.starts])
        start = model.NewIntVarFromDomain(domain, f"s{i}")
        present = model.NewBoolVar(f"p{i}")
        intervals.append(model.NewOptionalFixedSizeIntervalVar(
            start, candidate.duration + tail, present, f"i{i}"))
        starts.append(start)
        presences.append(present)
    model.AddNoOverlap(intervals)
    _add_energy_cuts(model, items, presences, tail)
    for program, seconds in quotas.items():
        members = [i for i, c in enumerate(items) if c.program == program]
        if members:
            model.Add(sum(items[i].duration * presences[i] for i in members)
                      <= math.floor(seconds))
    model.Maximize(sum(c.weight * p for c, p in zip(items, presences, strict=True)))
    chosen = {id(slot.candidate): slot.start for slot in hint}
    for candidate, start, present in zip(items, starts, presences, strict=True):
        if id(candidate) in chosen:
            model.AddHint(present, 1)
            model.AddHint(start, chosen[id(candidate)])
        else:
            model.AddHint(present, 0)
    solver = cp_solver(time_limit=time_limit,
                       work=work if work is not None else time_limit * WORK_PER_SECOND,
                       workers=workers)
    status = solver.Solve(model)
    hint_value = sum(slot.candidate.weight for slot in hint)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # Stopped before its first solution (or the model is wrong): it proved nothing.
        return OptimiserOutcome(hint, hint_value, math.inf, False)
    slots = [Slot(c, solver.Value(s)) for c, s, p in zip(items, starts, presences, strict=True)
             if solver.Value(p)]
    slots.sort(key=lambda slot: slot.start)
    value = sum(slot.candidate.weight for slot in slots)
    if value < hint_value:  # cannot happen with a kept hint, but never return worse
        slots, value = hint, hint_value
    return OptimiserOutcome(slots, value, _bound(solver, value),
                            status == cp_model.OPTIMAL)


ENERGY_STEP = 1800  # seconds between the boundaries of the energy cuts


def _add_energy_cuts(model: cp_model.CpModel, items: list[Candidate],
                     presences: list, tail: int) -> None:
    """Redundant constraints that tighten the solver's bound: the sequences that can only
    run between two instants must fit, with their overheads, between them."""
    if not items:
        return
    lo = min(c.earliest for c in items)
    hi = max(c.latest + c.duration for c in items)
    bounds = list(range(lo - lo % ENERGY_STEP, hi + ENERGY_STEP, ENERGY_STEP))
    spans = [(c.earliest, c.latest + c.duration) for c in items]
    for a_index, a in enumerate(bounds):
        for b in bounds[a_index + 1:]:
            inside = [i for i, (s, e) in enumerate(spans) if s >= a and e <= b]
            if not inside:
                continue
            if sum(items[i].duration + tail for i in inside) <= b - a + tail:
                continue  # cannot bind
            model.Add(sum((items[i].duration + tail) * presences[i] for i in inside)
                      <= b - a + tail)


def _bound(solver: cp_model.CpSolver, floor_value: int) -> int:
    bound = solver.BestObjectiveBound()
    if not math.isfinite(bound):
        return floor_value
    return max(floor_value, math.floor(bound + 1e-6))
