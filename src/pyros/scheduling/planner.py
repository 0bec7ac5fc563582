"""The planner's one entry point for a whole night: ``make_plan(problem, engine=...)``.

``optimal``: the greedy plan, improved by CP-SAT until it proves optimality or reaches
its time limit, reported with the best bound known (the solver's or the knapsack's,
whichever is lower). ``fast``: the greedy plan alone, in milliseconds, with the knapsack
bound. Both then place the chosen sequences in time (:mod:`placement`) and explain every
sequence left out.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Literal

import numpy as np

from pyros.scheduling.bound import knapsack_bound
from pyros.scheduling.candidates import Candidate, Candidates, build_candidates
from pyros.scheduling.greedy import pilot_plan
from pyros.scheduling.lagrangian import ChainBound
from pyros.scheduling.optimal import optimise
from pyros.scheduling.placement import (
    PLACEMENT_TIME_LIMIT,
    QUICK_REORDER_WORK,
    REORDER_TIME_LIMIT,
    REORDER_WORK,
    advance_immediate,
    place,
    reorder,
)
from pyros.scheduling.problem import Placement, PlanResult, Problem, Rejection
from pyros.scheduling.relaxation import Relaxation, solve_relaxation
from pyros.scheduling.timeline import Slot, objective, schedule_keeping_order
from pyros.scheduling.windows import improve_by_windows

Engine = Literal["optimal", "fast"]
DEFAULT_TIME_LIMIT = 3.0  # seconds
BACKSTOP = 1.5  # the wall-clock limit, in time limits, counted after visibility
#: CP-SAT's deterministic work for its first and last runs, per second of time limit.
FIRST_RUN_WORK = 0.02
FINAL_RUN_WORK = 0.025
REPAIRED_CHAINS = 10  # the last chains of the subgradient, tried as plans


def make_plan(problem: Problem, *, engine: Engine = "optimal",
              time_limit: float = DEFAULT_TIME_LIMIT, workers: int = 1,
              backstop: float = BACKSTOP) -> PlanResult:
    """``backstop``: the wall-clock limit, in time limits, that stops a machine far
    slower or busier than the reference one (where the plan then depends on the load:
    a check of determinism lifts it)."""
    began = time.perf_counter()
    candidates = build_candidates(problem)
    items = candidates.items
    start, end = candidates.horizon
    slots = pilot_plan(items, problem.overheads, problem.quotas, start, end)
    bound = knapsack_bound(items, end - start, problem.overheads.least)
    optimal = False
    if engine == "optimal" and items:
        slots, bound, optimal = _optimise(problem, candidates, slots, bound, time_limit,
                                          began, workers, backstop)
    elif engine not in ("optimal", "fast"):
        raise ValueError(f"unknown engine '{engine}' (engines: optimal, fast)")
    # Their wall-clock safety nets are lifted with the backstop: on a machine busy enough
    # to reach them, the plan would depend on the load.
    slack = backstop / BACKSTOP
    slots = reorder(slots, problem.overheads, movable_from=start,
                    work=REORDER_WORK if engine == "optimal" else QUICK_REORDER_WORK,
                    time_limit=REORDER_TIME_LIMIT * slack)
    slots = advance_immediate(slots, problem.overheads, start)
    slots = place(slots, problem.overheads, movable_from=start,
                  time_limit=PLACEMENT_TIME_LIMIT * slack)
    value = objective(slots)
    bound = max(bound, value)
    return to_result(candidates, slots, problem, engine=engine, bound=bound,
                     optimal=optimal or value == bound, began=began)


def _optimise(problem: Problem, candidates: Candidates, slots: list[Slot], bound: float,
              time_limit: float, began: float, workers: int, backstop: float
              ) -> tuple[list[Slot], float, bool]:
    """The optimal engine after the pilot plan, each step on the candidates that can
    still improve the plan in hand:

    1. the linear relaxation: a bound, and the candidates no better plan can use;
    2. a short CP-SAT run on the rest (enough to prove small nights optimal);
    3. the Lagrangian chain bound: a tighter bound, chains that, repaired, are sometimes
       better plans, and fewer candidates again;
    4. window search: the plan re-made exactly, two hours at a time;
    5. CP-SAT again, from the best plan so far, to the time limit.

    Every step's effort is counted in deterministic work (iterations, CP-SAT's
    deterministic time), so the same input gives the same plan; the wall-clock time
    limit only stops a machine far slower or busier than the reference one. Every bound
    is valid for the whole problem: the candidates set aside cannot beat the plan in
    hand, and every later plan is at least as good."""
    items = candidates.items
    overheads, quotas = problem.overheads, problem.quotas
    # The steps' effort is fixed in deterministic work; this wall-clock deadline only
    # stops a machine much slower or busier than the one the budgets were set on.
    deadline = time.perf_counter() + backstop * time_limit

    def left() -> float:
        return max(0.02, deadline - time.perf_counter())

    relaxation = solve_relaxation(items, candidates.horizon, overheads.least, quotas)
    considered = items
    if relaxation is not None:
        bound = min(bound, relaxation.bound)
        considered = _worth_considering(items, relaxation, slots)
    outcome = optimise(considered, overheads, quotas, slots, workers=workers,
                       time_limit=left(), work=FIRST_RUN_WORK * time_limit)
    slots, bound = outcome.slots, min(bound, outcome.bound)
    if outcome.optimal or objective(slots) >= bound or relaxation is None:
        return slots, bound, outcome.optimal or objective(slots) >= bound
    prices = dict(zip(map(id, items), relaxation.prices, strict=True))
    chains = ChainBound(considered, candidates.horizon, overheads.least)
    chain_bound, paths = chains.bound(objective(slots),
                                      np.array([prices[id(c)] for c in considered]),
                                      deadline=deadline)
    bound = min(bound, chain_bound)
    for path in paths[-REPAIRED_CHAINS:]:
        repaired = schedule_keeping_order([considered[i] for i in path], overheads,
                                          candidates.horizon[0], quotas)
        if objective(repaired) > objective(slots):
            slots = repaired
    considered = _usable(chains, considered, slots)
    if objective(slots) < bound:
        slots = improve_by_windows(slots, considered, overheads, quotas, candidates.horizon,
                                   deadline=deadline)
    if objective(slots) >= bound:
        return slots, bound, True
    considered = _usable(chains, considered, slots, among=chains.items)
    outcome = optimise(considered, overheads, quotas, slots, workers=workers,
                       time_limit=left(), work=FINAL_RUN_WORK * time_limit)
    return outcome.slots, min(bound, outcome.bound), outcome.optimal


def _usable(chains: ChainBound, considered: list[Candidate], plan: list[Slot],
            among: list[Candidate] | None = None) -> list[Candidate]:
    """Lagrangian fixing: keep the candidates some chain better than the plan contains."""
    in_plan = {id(slot.candidate) for slot in plan}
    usable = dict(zip(map(id, among or considered), chains.usable(objective(plan)),
                      strict=True))
    return [c for c in considered if usable[id(c)] or id(c) in in_plan]


def _worth_considering(items: list[Candidate], relaxation: Relaxation,
                       plan: list[Slot], among: list[Candidate] | None = None
                       ) -> list[Candidate]:
    """Reduced-cost fixing: drop the candidates that no plan better than ``plan`` can
    contain (forcing one in costs the relaxation more than the gap). ``among``: the list
    the relaxation was solved for, when ``items`` is a part of it."""
    incumbent = objective(plan)
    in_plan = {id(slot.candidate) for slot in plan}
    cost = dict(zip(map(id, among or items), relaxation.reduced_costs, strict=True))
    return [c for c in items
            if id(c) in in_plan or relaxation.bound - cost[id(c)] >= incumbent - 1e-6]


def to_result(candidates: Candidates, slots: list[Slot], problem: Problem, *, engine: str,
              bound: float | None, optimal: bool, began: float) -> PlanResult:
    sky = candidates.sky
    planned = {id(slot.candidate) for slot in slots}
    left_out = [c for c in candidates.items if id(c) not in planned]
    rejections = list(candidates.rejections) + explain(left_out, slots, problem)
    order = {s.id: i for i, s in enumerate(problem.sequences)}
    rejections.sort(key=lambda r: order.get(r.id, 0))
    placements = [Placement(slot.candidate.id, sky.at(slot.start), sky.at(slot.end))
                  for slot in slots]
    return PlanResult(placements=placements, rejections=rejections,
                      objective=float(objective(slots)),
                      bound=None if bound is None else float(bound),
                      elapsed=time.perf_counter() - began, engine=engine,
                      proven_optimal=optimal)


def explain(left_out: list[Candidate], slots: list[Slot], problem: Problem) -> list[Rejection]:
    """Why each observable sequence is not in the plan: its program's quota, or the
    sequences that hold the telescope while it is observable."""
    used: dict[str, float] = defaultdict(float)
    for slot in slots:
        if slot.candidate.program:
            used[slot.candidate.program] += slot.candidate.duration
    reasons = []
    for candidate in left_out:
        program = candidate.program
        if program in problem.quotas and used[program] + candidate.duration > \
                problem.quotas[program]:
            reasons.append(Rejection(candidate.id, (
                f"program {program}'s quota ({problem.quotas[program] / 3600:.2f} h left) "
                f"is used by its {sum(1 for s in slots if s.candidate.program == program)} "
                f"planned sequences")))
            continue
        lo, hi = candidate.earliest, candidate.latest + candidate.duration
        rivals = [s for s in slots if s.start < hi and s.end > lo]
        if not rivals:
            reasons.append(Rejection(candidate.id, "no room left in the plan"))
            continue
        higher = sum(1 for s in rivals if s.candidate.sequence.priority
                     > candidate.sequence.priority)
        detail = (f"{higher} of higher priority" if higher
                  else "none of lower priority" if all(
                      s.candidate.sequence.priority >= candidate.sequence.priority
                      for s in rivals)
                  else "together worth more")
        reasons.append(Rejection(candidate.id, (
            f"no room: while it is observable the telescope is given to {len(rivals)} "
            f"sequences ({detail}; the plan maximises priority × time)")))
    return reasons
