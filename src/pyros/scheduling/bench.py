"""``pyros bench scheduler``: how good and how fast the night planner is.

Quality is measured against a proof, not a feeling: every plan's objective is divided
by the best upper bound the planner proved for the same night, so "share of the bound"
is a guaranteed fraction of the best possible plan (the true optimum may be higher than
the plan, never higher than the bound). Every plan is then checked by
:func:`verify_plan`, which shares no code with the planner: a fast plan that breaks a
rule is worth nothing, so the violations are reported next to the figures.

Three more figures: the time to the first valid plan (the fast engine, visibility
included: what the scheduler agent waits before the telescope has something to do);
the latency of inserting an alert into a planned night while a sequence executes (the
incremental engine: what a gamma-ray burst waits); and astroplan's ``PriorityScheduler``
on the same nights, judged by the same objective and the same checks, as the reference
astronomers know.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

import numpy as np

from pyros.scheduling.planner import make_plan
from pyros.scheduling.problem import (
    FixedEntry,
    ObservationType,
    Placement,
    PlanResult,
    Problem,
    Rejection,
    SequenceToPlan,
    airmass_altitude,
)
from pyros.scheduling.sky import GRID_STEP, night_sky
from pyros.scheduling.synthetic import synthetic_problem
from pyros.scheduling.verify import objective_of, verify_plan

ENGINES = ("fast", "optimal")
ASTROPLAN_MAX_SIZE = 200  # astroplan's run time grows with N: larger nights on request
INSERTION_SIZE = 1000
INSERTION_TRIALS = 20
ALERT_DURATION = 1200.0  # seconds
ALERT_PRIORITY = 10
ALERT_AIRMASS = 2.0
EXAMPLES = 3  # violation messages kept per run, to see what went wrong


@dataclass
class EngineRun:
    size: int
    seed: int
    engine: str
    elapsed_s: float
    objective: float
    bound: float | None
    share_of_bound: float | None  # of the engine's own bound
    gap: float | None
    best_bound: float | None  # the lowest bound any engine proved for this night
    share_of_best_bound: float | None
    planned: int
    proven_optimal: bool
    violations: int
    violation_examples: list[str] = field(default_factory=list)


@dataclass
class ReferenceRun:
    """astroplan on one night, in PyROS's terms."""

    size: int
    seed: int
    elapsed_s: float
    objective: float
    bound: float | None  # the planner's, for the same night
    share_of_bound: float | None
    share_of_optimal: float | None  # of the optimal engine's objective, same night
    planned: int
    time_resolution_s: float
    failed_insertions: int
    violations: int
    violation_examples: list[str] = field(default_factory=list)


@dataclass
class InsertionBench:
    size: int
    trials: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    alerts_planned: int
    executing_untouched: int
    violations: int
    violation_examples: list[str] = field(default_factory=list)


@dataclass
class SchedulerBench:
    sizes: list[int]
    seeds: int
    time_limits: dict[int, float]  # the optimal engine's, per night size
    runs: list[EngineRun]
    astroplan: list[ReferenceRun]
    astroplan_note: str
    insertion: InsertionBench | None
    insertion_note: str
    night_sky_s: float = 0.0  # once per night, then cached: not in the engines' times
    summary: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def _share(value: float, reference: float | None) -> float | None:
    if reference is None or reference <= 0:
        return None
    return round(value / reference, 4)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


#: The optimal engine's time limit per night size, the issue's aims (others: 3 s).
AIM_TIME_LIMITS = {50: 0.5, 200: 1.0, 1000: 3.0}


def time_limit_for(size: int, time_limit: float | None) -> float:
    if time_limit is not None:
        return time_limit
    return AIM_TIME_LIMITS.get(size, 3.0)


def run_scheduler_bench(sizes: list[int], seeds: int = 3, time_limit: float | None = None, *,
                        astroplan: bool = True,
                        astroplan_max_size: int = ASTROPLAN_MAX_SIZE,
                        astroplan_resolution: float | None = None,
                        insertion_size: int = INSERTION_SIZE,
                        insertion_trials: int = INSERTION_TRIALS,
                        progress: Callable[[str], None] = lambda _: None) -> SchedulerBench:
    runs: list[EngineRun] = []
    references: list[ReferenceRun] = []
    astroplan_note = _astroplan_note(astroplan, astroplan_max_size)
    run_astroplan = astroplan and not astroplan_note.startswith("skipped")
    kept: dict[tuple[int, int], tuple[Problem, PlanResult]] = {}
    night_sky_s = _night_sky_time()
    for size in sizes:
        for seed in range(seeds):
            problem = synthetic_problem(size, seed=seed)
            results = {}
            for engine in ENGINES:
                progress(f"N={size} seed {seed}: {engine}")
                results[engine] = make_plan(problem, engine=engine,
                                            time_limit=time_limit_for(size, time_limit))
            # Every engine's bound holds for every plan of the night: the fast engine's
            # plan is judged by the optimal engine's (tighter) bound as well.
            bounds = [r.bound for r in results.values() if r.bound is not None]
            best = min(bounds) if bounds else None
            runs += [_engine_run(problem, r, size, seed, best) for r in results.values()]
            if seed == 0:
                kept[size, seed] = problem, results["optimal"]
            if run_astroplan and size <= astroplan_max_size:
                progress(f"N={size} seed {seed}: astroplan")
                references.append(_reference_run(problem, results["optimal"], best, size,
                                                 seed, astroplan_resolution))
    insertion, insertion_note = None, ""
    if insertion_trials > 0:
        insertion, insertion_note = _insertion(kept, insertion_size, insertion_trials,
                                               time_limit_for(insertion_size, time_limit),
                                               progress)
    else:
        insertion_note = "skipped (no trials asked)"
    bench = SchedulerBench(sizes=list(sizes), seeds=seeds,
                           time_limits={n: time_limit_for(n, time_limit) for n in sizes},
                           runs=runs, astroplan=references, astroplan_note=astroplan_note,
                           insertion=insertion, insertion_note=insertion_note,
                           night_sky_s=night_sky_s)
    bench.summary = _summary(bench)
    return bench


def _night_sky_time() -> float:
    """The sky of a night (sun, moon, twilights, sidereal time) is computed once per
    night and cached, so it is in no engine's time but the first one's: it is measured
    apart, after astropy's first-use costs (ephemeris, ERFA) are paid on another night."""
    problem = synthetic_problem(1)
    night_sky(problem.site, problem.night - timedelta(days=1))
    night_sky.cache_clear()
    began = time.perf_counter()
    night_sky(problem.site, problem.night)
    return round(time.perf_counter() - began, 4)


def _astroplan_note(wanted: bool, max_size: int) -> str:
    if not wanted:
        return "skipped (--no-astroplan)"
    from pyros.scheduling.astroplan_reference import astroplan_missing

    missing = astroplan_missing()
    if missing:
        return f"skipped: {missing}"
    return (f"astroplan PriorityScheduler on the nights of N ≤ {max_size} only "
            "(its run time grows with N)")


def _engine_run(problem: Problem, result: PlanResult, size: int, seed: int,
                best_bound: float | None) -> EngineRun:
    violations = verify_plan(problem, result)
    return EngineRun(
        size=size, seed=seed, engine=result.engine, elapsed_s=round(result.elapsed, 4),
        objective=result.objective, bound=result.bound,
        share_of_bound=_share(result.objective, result.bound),
        gap=None if result.gap is None else round(result.gap, 4),
        best_bound=best_bound, share_of_best_bound=_share(result.objective, best_bound),
        planned=len(result.placements), proven_optimal=result.proven_optimal,
        violations=len(violations), violation_examples=violations[:EXAMPLES])


def _reference_run(problem: Problem, optimal: PlanResult, best_bound: float | None,
                   size: int, seed: int, resolution: float | None) -> ReferenceRun:
    from pyros.scheduling.astroplan_reference import DEFAULT_TIME_RESOLUTION, astroplan_plan

    plan = astroplan_plan(problem, time_resolution=resolution or DEFAULT_TIME_RESOLUTION)
    planned = {p.id for p in plan.placements}
    # astroplan gives no reasons; verify_plan wants every sequence accounted for.
    result = PlanResult(
        placements=plan.placements,
        rejections=[Rejection(s.id, "not scheduled by astroplan")
                    for s in problem.sequences if s.id not in planned],
        objective=objective_of(problem, plan.placements), bound=None,
        elapsed=plan.elapsed, engine="astroplan")
    violations = verify_plan(problem, result)
    return ReferenceRun(
        size=size, seed=seed, elapsed_s=round(plan.elapsed, 4), objective=result.objective,
        bound=best_bound, share_of_bound=_share(result.objective, best_bound),
        share_of_optimal=_share(result.objective, optimal.objective),
        planned=len(plan.placements), time_resolution_s=plan.time_resolution,
        failed_insertions=plan.failed_insertions,
        violations=len(violations), violation_examples=violations[:EXAMPLES])


# -- alert insertion ---------------------------------------------------------------------


def _insertion(kept: dict[tuple[int, int], tuple[Problem, PlanResult]], size: int,
               trials: int, time_limit: float, progress: Callable[[str], None]
               ) -> tuple[InsertionBench | None, str]:
    try:
        from pyros.scheduling.incremental import insert_sequences
    except ImportError as exc:
        return None, f"skipped: the incremental engine is not available ({exc})"
    if (size, 0) in kept:
        problem, plan = kept[size, 0]
    else:
        progress(f"N={size} seed 0: optimal (the plan alerts are inserted into)")
        problem = synthetic_problem(size, seed=0)
        plan = make_plan(problem, engine="optimal", time_limit=time_limit)
    if not plan.placements:
        return None, f"skipped: the N={size} night has an empty plan"
    progress(f"N={size}: {trials} alert insertions")
    rng = random.Random(size)
    sky = night_sky(problem.site, problem.night)
    dark_start, dark_end = sky.dark_seconds
    lo = dark_start + 0.25 * (dark_end - dark_start)
    hi = dark_start + 0.75 * (dark_end - dark_start)
    middle = [p for p in plan.placements
              if lo <= sky.seconds_of(p.start) and sky.seconds_of(p.end) <= hi]
    latencies: list[float] = []
    planned = untouched = violations = 0
    examples: list[str] = []
    for trial in range(trials):
        executing = rng.choice(middle or plan.placements)
        length = int((executing.end - executing.start).total_seconds())
        now = executing.start + timedelta(seconds=rng.randrange(1, max(2, length)))
        alert = _alert(problem, now, rng, f"alert{trial:02d}")
        upcoming = [p for p in plan.placements if p.start > executing.start]
        ids = {p.id for p in upcoming} | {executing.id}
        # What the scheduler agent would hand over: the rest of the plan, what executes
        # (fixed), and the newcomer; not the night's other waiting sequences.
        current = Problem(
            site=problem.site, night=problem.night,
            sequences=[s for s in problem.sequences if s.id in ids] + [alert],
            overheads=problem.overheads, quotas=problem.quotas, not_before=now,
            fixed=[FixedEntry(executing.id, executing.start, executing.end)])
        began = time.perf_counter()
        result = insert_sequences(current, upcoming, {alert.id}, protect_until=now)
        latencies.append((time.perf_counter() - began) * 1000.0)
        planned += any(p.id == alert.id for p in result.placements)
        untouched += _untouched(executing, result.placements)
        found = verify_plan(current, result)
        violations += len(found)
        examples += found[:EXAMPLES - len(examples)]
    return InsertionBench(
        size=size, trials=trials, p50_ms=round(statistics.median(latencies), 2),
        p99_ms=round(_percentile(latencies, 0.99), 2), max_ms=round(max(latencies), 2),
        alerts_planned=planned, executing_untouched=untouched, violations=violations,
        violation_examples=examples), ""


def _untouched(executing: Placement, placements: list[Placement]) -> bool:
    """The executing sequence keeps its time (or is simply not re-planned), and nothing
    is planned before it ends."""
    for p in placements:
        if p.id == executing.id:
            if (p.start, p.end) != (executing.start, executing.end):
                return False
        elif p.start < executing.end:
            return False
    return True


def _alert(problem: Problem, now: datetime, rng: random.Random, id_: str) -> SequenceToPlan:
    """An IMMEDIATE target high in the sky from ``now`` until well after the alert
    could end: observable at once whatever the executing sequence's remaining time."""
    sky = night_sky(problem.site, problem.night)
    first = int(sky.seconds_of(now) // GRID_STEP)
    columns = slice(first, first + int(3 * 3600 // GRID_STEP) + 2)
    floor = airmass_altitude(ALERT_AIRMASS) + 10.0
    latitude = problem.site.latitude
    for _ in range(100):
        ra = np.array([rng.uniform(0.0, 360.0) for _ in range(64)])
        dec = np.array([rng.uniform(max(-89.0, latitude - 40.0), min(89.0, latitude + 40.0))
                        for _ in range(64)])
        altitude, _, _ = sky.altaz(ra, dec, columns=columns)
        good = np.flatnonzero(altitude.min(axis=1) > floor)
        if good.size:
            k = int(good[0])
            return SequenceToPlan(id=id_, ra=round(float(ra[k]), 4),
                                  dec=round(float(dec[k]), 4), duration=ALERT_DURATION,
                                  priority=ALERT_PRIORITY, obs_type=ObservationType.IMMEDIATE,
                                  max_airmass=ALERT_AIRMASS)
    raise RuntimeError(f"no target stays above {floor:.0f}° for 3 h after {now:%H:%M}")


# -- summary -----------------------------------------------------------------------------


def _summary(bench: SchedulerBench) -> dict:
    summary: dict = {"engines": {}, "first_valid_plan_s": {}, "violations": {}}
    for engine in ENGINES:
        runs = [r for r in bench.runs if r.engine == engine]
        shares = [r for r in runs if r.share_of_bound is not None]
        worst = min(shares, key=lambda r: r.share_of_bound or 0.0, default=None)
        of_best = [r for r in runs if r.share_of_best_bound is not None]
        worst_best = min(of_best, key=lambda r: r.share_of_best_bound or 0.0, default=None)
        summary["engines"][engine] = {
            "mean_share_of_bound": round(statistics.fmean(
                r.share_of_bound or 0.0 for r in shares), 4) if shares else None,
            "worst_share_of_bound": worst.share_of_bound if worst else None,
            "worst_at": f"N={worst.size} seed {worst.seed}" if worst else None,
            "mean_share_of_best_bound": round(statistics.fmean(
                r.share_of_best_bound or 0.0 for r in of_best), 4) if of_best else None,
            "worst_share_of_best_bound": worst_best.share_of_best_bound
            if worst_best else None,
            "worst_of_best_at": f"N={worst_best.size} seed {worst_best.seed}"
            if worst_best else None,
            "proven_optimal": sum(r.proven_optimal for r in runs),
            "runs": len(runs),
        }
        summary["violations"][engine] = sum(r.violations for r in runs)
    for size in bench.sizes:
        fast = [r.elapsed_s for r in bench.runs if r.engine == "fast" and r.size == size]
        if fast:
            summary["first_valid_plan_s"][str(size)] = {
                "mean": round(statistics.fmean(fast), 4), "max": round(max(fast), 4)}
    if bench.astroplan:
        of_optimal = [r.share_of_optimal for r in bench.astroplan
                      if r.share_of_optimal is not None]
        of_bound = [r.share_of_bound for r in bench.astroplan if r.share_of_bound is not None]
        better = [f"N={r.size} seed {r.seed}" for r in bench.astroplan
                  if r.share_of_optimal is not None and r.share_of_optimal > 1.0]
        fast = {(r.size, r.seed): r.objective for r in bench.runs if r.engine == "fast"}
        beats_fast = [f"N={r.size} seed {r.seed}" for r in bench.astroplan
                      if r.objective > fast.get((r.size, r.seed), float("inf"))]
        summary["astroplan"] = {
            "mean_share_of_optimal": round(statistics.fmean(of_optimal), 4)
            if of_optimal else None,
            "worst_share_of_optimal": min(of_optimal, default=None),
            "best_share_of_optimal": max(of_optimal, default=None),
            "mean_share_of_bound": round(statistics.fmean(of_bound), 4) if of_bound else None,
            "better_than_optimal_engine_at": better,
            "better_than_fast_engine_at": beats_fast,
            "violations": sum(r.violations for r in bench.astroplan),
        }
        summary["violations"]["astroplan"] = sum(r.violations for r in bench.astroplan)
    if bench.insertion is not None:
        ins = bench.insertion
        summary["insertion"] = {"p50_ms": ins.p50_ms, "p99_ms": ins.p99_ms,
                                "alerts_planned": f"{ins.alerts_planned}/{ins.trials}",
                                "executing_untouched": f"{ins.executing_untouched}/{ins.trials}",
                                "violations": ins.violations}
        summary["violations"]["insertion"] = ins.violations
    return summary
