"""The planning simulation as a job (:mod:`pyros.jobs`): the web checks the file and
queues it; the job runner plans it. Both the page and the API submit through
:func:`submit_simulation`, so they obey the same limits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pyros.accounts.models import User
from pyros.config.loader import active_config
from pyros.jobs import store
from pyros.jobs.kinds import SIMULATION, JobError
from pyros.jobs.models import Job
from pyros.scheduling.planner import Engine, make_plan
from pyros.scheduling.problem import Placement, PlanResult, Problem, Rejection
from pyros.scheduling.simulation import SimulationError, parse_simulation, result_json
from pyros.scheduling.unit import overheads_of, site_of

#: The fast engine's expected seconds: the greedy plan of the largest file allowed.
FAST_SECONDS = 5.0


def problem_of(data: Any) -> Problem:
    """The problem of a decoded simulation file, the unit's site and overheads standing
    in for those it leaves out. Raises SimulationError. Cheap (no sky computed): the web
    checks a file with it before queueing it."""
    unit = active_config()
    return parse_simulation(data, default_site=site_of(unit),
                            default_overheads=overheads_of(unit))


def submit_simulation(owner: User, data: Any, *, engine: Engine, time_limit: float) -> Job:
    """Check the file (SimulationError) and queue its planning (JobRefused beyond the
    limits)."""
    problem_of(data)
    expected = time_limit if engine == "optimal" else FAST_SECONDS
    return store.submit(owner, SIMULATION,
                        {"file": data, "engine": engine, "time_limit": time_limit},
                        expected_seconds=expected)


def run_simulation_job(params: dict[str, Any]) -> dict[str, Any]:
    try:
        problem = problem_of(params["file"])
    except SimulationError as exc:  # the unit's configuration changed since
        raise JobError(str(exc)) from None
    result = make_plan(problem, engine=params["engine"], time_limit=params["time_limit"])
    return result_json(result)


def result_of(data: dict[str, Any]) -> PlanResult:
    """A plan read back from :func:`~pyros.scheduling.simulation.result_json`."""
    return PlanResult(
        placements=[Placement(id=p["id"], start=datetime.fromisoformat(p["start"]),
                              end=datetime.fromisoformat(p["end"])) for p in data["plan"]],
        rejections=[Rejection(id=r["id"], reason=r["reason"]) for r in data["unplanned"]],
        objective=data["objective"], bound=data["bound"], elapsed=data["elapsed_s"],
        engine=data["engine"], proven_optimal=data["proven_optimal"])
