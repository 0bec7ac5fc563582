"""The incremental engine: new sequences (alerts, above all) go into the current plan at
once, without re-planning the night.

What is executing is not a candidate at all (the problem lists it as fixed), and what
starts before ``protect_until`` keeps its place and time. Each new sequence, highest
priority first, is tried at every position of the rest of the plan in turn; the plan
after it is re-timed as early as the order allows, and a later sequence that no longer
fits is displaced — only if it has a lower priority than the newcomer; otherwise that
position is refused. An IMMEDIATE sequence takes the earliest position that works, any
other the one that keeps the most objective. Displaced sequences then get a second
chance in whatever room is left, and the result is placed like any plan.

With the plan's few dozen entries this costs milliseconds, whatever the number of
sequences waiting: only the plan and the newcomers are looked at.
"""

from __future__ import annotations

import time
from datetime import datetime

from pyros.scheduling.candidates import Candidate, build_candidates
from pyros.scheduling.placement import place
from pyros.scheduling.planner import to_result
from pyros.scheduling.problem import (
    ObservationType,
    Overheads,
    Placement,
    PlanResult,
    Problem,
    Rejection,
)
from pyros.scheduling.timeline import Slot, forward_pass, objective


def insert_sequences(problem: Problem, current: list[Placement], new_ids: set[str], *,
                     protect_until: datetime) -> PlanResult:
    """``problem`` holds the plan's sequences and the new ones (and, as fixed entries,
    what is executing); ``current`` is the plan as it stands."""
    began = time.perf_counter()
    candidates = build_candidates(problem)
    sky = candidates.sky
    by_id = {c.id: c for c in candidates.items}
    protect = round(sky.seconds_of(protect_until))
    plan = _each_once([Slot(by_id[p.id], round(sky.seconds_of(p.start)))
                       for p in sorted(current, key=lambda p: p.start) if p.id in by_id])
    protected = [s for s in plan if s.start < protect]
    # A newcomer the plan already holds (a re-plan took it in before this insertion,
    # e.g. on the submission that also sent insert_now) is moved, never added twice:
    # it leaves the movable part and is inserted like the others; within the protected
    # start it stays where it is.
    held = {s.candidate.id for s in protected}
    movable = [s.candidate for s in plan if s.start >= protect and s.candidate.id not in new_ids]
    # What starts before protect_until keeps its place; with nothing there, the
    # newcomers may start at once (the protection is for entries, not a dead time).
    start_from = max(candidates.horizon[0], protected[-1].end if protected else 0)
    previous = protected[-1].candidate if protected else None
    newcomers = sorted((by_id[i] for i in new_ids if i in by_id and i not in held),
                       key=lambda c: (-c.sequence.priority, c.id))
    displaced: dict[str, str] = {}
    refused: list[Rejection] = []
    for newcomer in newcomers:
        outcome = _best_insertion(newcomer, movable, problem.overheads, start_from, previous)
        if outcome is None:
            refused.append(Rejection(newcomer.id, (
                "no room tonight without displacing sequences of the same or a higher "
                "priority")))
            continue
        order, dropped = outcome
        movable = order
        for victim in dropped:
            displaced[victim.id] = f"displaced by {newcomer.id} (priority " \
                                   f"{newcomer.sequence.priority})"
    for victim_id in list(displaced):
        second_chance = _insert_without_displacing(by_id[victim_id], movable,
                                                   problem.overheads, start_from, previous)
        if second_chance is not None:
            movable = second_chance
            del displaced[victim_id]
    slots = _forward(movable, problem.overheads, start_from, previous, None)
    assert slots is not None, "an accepted order is always schedulable"
    slots = place(protected + slots[0], problem.overheads, movable_from=protect)
    result = to_result(candidates, slots, problem, engine="incremental", bound=None,
                       optimal=False, began=began)
    reasons = {r.id: r for r in refused}
    reasons.update({i: Rejection(i, why) for i, why in displaced.items()})
    result.rejections = [reasons.get(r.id, r) for r in result.rejections]
    return result


def _each_once(plan: list[Slot]) -> list[Slot]:
    """The plan with each sequence at its first place only (a plan written before the
    invariant was checked may hold one twice)."""
    seen: set[str] = set()
    kept = []
    for slot in plan:
        if slot.candidate.id not in seen:
            seen.add(slot.candidate.id)
            kept.append(slot)
    return kept


def _forward(order: list[Candidate], overheads: Overheads, start_from: int,
             previous: Candidate | None, newcomer: Candidate | None
             ) -> tuple[list[Slot], list[Candidate]] | None:
    """The order as early as possible; sequences that no longer fit are dropped when they
    rank below ``newcomer``, else the order is refused (None)."""

    def ranks_below(candidate: Candidate) -> bool:
        return (newcomer is not None and candidate is not newcomer
                and candidate.sequence.priority < newcomer.sequence.priority)

    return forward_pass(order, overheads, start_from, previous, may_drop=ranks_below)


def _best_insertion(newcomer: Candidate, order: list[Candidate], overheads: Overheads,
                    start_from: int, previous: Candidate | None
                    ) -> tuple[list[Candidate], list[Candidate]] | None:
    best: tuple[int, list[Candidate], list[Candidate]] | None = None
    for position in range(len(order) + 1):
        trial = [*order[:position], newcomer, *order[position:]]
        outcome = _forward(trial, overheads, start_from, previous, newcomer)
        if outcome is None:
            continue
        slots, dropped = outcome
        kept = [s.candidate for s in slots]
        if newcomer.sequence.obs_type == ObservationType.IMMEDIATE:
            return kept, dropped
        value = objective(slots)
        if best is None or value > best[0]:
            best = (value, kept, dropped)
    return None if best is None else (best[1], best[2])


def _insert_without_displacing(candidate: Candidate, order: list[Candidate],
                               overheads: Overheads, start_from: int,
                               previous: Candidate | None) -> list[Candidate] | None:
    for position in range(len(order) + 1):
        trial = [*order[:position], candidate, *order[position:]]
        if _forward(trial, overheads, start_from, previous, None) is not None:
            return trial
    return None
