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

from pyros.scheduling.bound import knapsack_bound
from pyros.scheduling.candidates import Candidate, Candidates, build_candidates
from pyros.scheduling.greedy import greedy_plan
from pyros.scheduling.optimal import optimise
from pyros.scheduling.placement import place
from pyros.scheduling.problem import Placement, PlanResult, Problem, Rejection
from pyros.scheduling.relaxation import Relaxation, solve_relaxation
from pyros.scheduling.timeline import Slot, objective

Engine = Literal["optimal", "fast"]
DEFAULT_TIME_LIMIT = 3.0  # seconds
SUPPORT = 0.01  # the relaxation's fraction above which a candidate guides the greedy
FIRST_RUN_SHARE = 0.25  # of the time limit, for the optimiser's first run


def make_plan(problem: Problem, *, engine: Engine = "optimal",
              time_limit: float = DEFAULT_TIME_LIMIT, workers: int = 1) -> PlanResult:
    began = time.perf_counter()
    candidates = build_candidates(problem)
    items = candidates.items
    start, end = candidates.horizon
    slots = greedy_plan(items, problem.overheads, problem.quotas, start, end)
    bound = knapsack_bound(items, end - start, problem.overheads.least)
    optimal = False
    if engine == "optimal" and items:
        relaxation = solve_relaxation(items, candidates.horizon, problem.overheads.least,
                                      problem.quotas)
        considered = items
        if relaxation is not None:
            bound = min(bound, relaxation.bound)
            guided = greedy_plan([c for c, f in zip(items, relaxation.fractions, strict=True)
                                  if f > SUPPORT], problem.overheads, problem.quotas, start, end)
            if objective(guided) > objective(slots):
                slots = guided
            considered = _worth_considering(items, relaxation, slots)
        # A short first run finds a better plan, which proves more candidates useless;
        # the second run searches what is left.
        for share in FIRST_RUN_SHARE, 1.0:
            remaining = max(0.05, time_limit - (time.perf_counter() - began))
            outcome = optimise(considered, problem.overheads, problem.quotas, slots,
                               time_limit=remaining * share, workers=workers)
            slots, optimal = outcome.slots, outcome.optimal
            # Valid for the whole problem: what was left out cannot beat the plan the
            # solver started from, which its own plan is at least as good as.
            bound = min(bound, outcome.bound)
            if optimal or relaxation is None:
                break
            considered = _worth_considering(considered, relaxation, slots,
                                            among=items)
    elif engine not in ("optimal", "fast"):
        raise ValueError(f"unknown engine '{engine}' (engines: optimal, fast)")
    slots = place(slots, problem.overheads, movable_from=start)
    value = objective(slots)
    bound = max(bound, value)
    return to_result(candidates, slots, problem, engine=engine, bound=bound,
                     optimal=optimal or value == bound, began=began)


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
