"""The REST API of the Schedule pages: tonight's plan, the history of plans, one plan,
and the planning of a simulation file. Read-only, apart from the simulation, which is
queued as a job (:mod:`pyros.jobs`) and writes no plan.

Everyone may read the plans, anonymous visitors included: the rights matrix gives READ
on "schedule" to every profile (the permission checks the matrix, as the monitoring API
does). A simulation costs up to its time limit of computation, so it needs an
authenticated user, whom the job limits hold to one at a time.

:func:`schedule_payload` is the one description of a stored plan: the API answers it and
``pyros schedule show`` prints it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, Literal

from django.db.models import Count, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from pydantic import BaseModel, ConfigDict, Field
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request as ApiRequest
from rest_framework.response import Response
from rest_framework.views import APIView

from pyros import clock
from pyros.agents.api import DetailOut
from pyros.config.loader import active_config
from pyros.dates import parse_day
from pyros.jobs.api import BUSY_RESPONSE, Busy, JobAcceptedOut, accepted
from pyros.jobs.store import JobRefused
from pyros.monitoring.api import ReadsPage
from pyros.observations.lifecycle import SequenceStatus
from pyros.scheduling import store
from pyros.scheduling.jobs import submit_simulation
from pyros.scheduling.models import Schedule, Trigger
from pyros.scheduling.planner import DEFAULT_TIME_LIMIT, Engine
from pyros.scheduling.simulation import (
    SimulationError,
    SimulationFile,
)
from pyros.web.params import int_param

TAGS = ["schedule"]
SCHEDULE = "schedule"
DEFAULT_HISTORY_LIMIT = 50
MAX_HISTORY_LIMIT = 500
MIN_TIME_LIMIT = 0.05
#: A simulation's job computes this long at most.
MAX_TIME_LIMIT = 30.0
ENGINES: tuple[str, ...] = ("optimal", "fast")

_OUTPUT = ConfigDict(json_schema_serialization_defaults_required=True)


# --- Output and input models -----------------------------------------------------------


class EntryOut(BaseModel):
    """A planned sequence, in time order."""

    model_config = _OUTPUT

    position: int
    sequence: int = Field(description="the sequence's id")
    name: str
    target: str
    request: int = Field(description="the request's id")
    request_name: str
    program: str
    priority: int
    status: SequenceStatus = Field(description="the sequence's status now, not when planned")
    start: datetime
    end: datetime
    ra: float = Field(description="ICRS degrees")
    dec: float = Field(description="ICRS degrees")


class UnplannedOut(BaseModel):
    """A sequence the plan left out, and why."""

    model_config = _OUTPUT

    sequence: int
    name: str
    target: str
    request: int
    request_name: str
    priority: int
    status: SequenceStatus = Field(description="the sequence's status now")
    reason: str


class _PlanFields(BaseModel):
    model_config = _OUTPUT

    id: int
    night: date = Field(description="the date of the night's evening")
    created_at: datetime
    trigger: Trigger
    trigger_label: str
    detail: str = Field(description="what changed")
    engine: str
    objective: float = Field(description="priority × seconds planned")
    bound: float | None = Field(description="no plan of the same input can exceed this")
    quality: float | None = Field(description="objective / bound: the share of the best "
                                              "achievable objective this plan reaches at least")
    proven_optimal: bool
    elapsed: float = Field(description="seconds spent planning")


class ScheduleOut(_PlanFields):
    """A plan: its entries in time order and the sequences it left out."""

    dark_start: datetime | None = Field(description="the dark time the plan was made for")
    dark_end: datetime | None
    entries: list[EntryOut]
    unplanned: list[UnplannedOut]


class ScheduleSummaryOut(_PlanFields):
    """A plan of the history, without its entries."""

    planned_count: int
    unplanned_count: int


class ScheduleHistoryOut(BaseModel):
    """Plans, newest first."""

    model_config = _OUTPUT

    count: int = Field(description="how many plans match, in all")
    limit: int
    offset: int
    schedules: list[ScheduleSummaryOut]


class SimulateIn(SimulationFile):
    """A simulation file (docs/scheduling.md), and optionally how to plan it (the query's
    `engine` and `time_limit` win over these)."""

    engine: Literal["optimal", "fast"] = "optimal"
    time_limit: float = Field(default=DEFAULT_TIME_LIMIT, ge=MIN_TIME_LIMIT, le=MAX_TIME_LIMIT,
                              description="seconds the optimal engine may search")


# --- What the views, the pages and the CLI share ---------------------------------------


def _plan_fields(schedule: Schedule) -> dict[str, Any]:
    return {
        "id": schedule.pk, "night": schedule.night, "created_at": schedule.created_at,
        "trigger": schedule.trigger, "trigger_label": Trigger(schedule.trigger).label,
        "detail": schedule.detail, "engine": schedule.engine, "objective": schedule.objective,
        "bound": schedule.bound, "quality": schedule.quality,
        "proven_optimal": schedule.proven_optimal, "elapsed": schedule.elapsed,
    }


def schedule_out(schedule: Schedule) -> ScheduleOut:
    entries = schedule.entries.select_related("sequence__request__program").order_by("position")
    unplanned = schedule.unplanned.select_related("sequence__request").order_by("sequence_id")
    return ScheduleOut(
        **_plan_fields(schedule), dark_start=schedule.dark_start, dark_end=schedule.dark_end,
        entries=[EntryOut(
            position=e.position, sequence=e.sequence_id, name=e.sequence.name,
            target=e.sequence.target_name, request=e.sequence.request_id,
            request_name=e.sequence.request.name, program=e.sequence.request.program.name,
            priority=e.sequence.priority, status=e.sequence.status, start=e.start, end=e.end,
            ra=e.sequence.ra, dec=e.sequence.dec) for e in entries],
        unplanned=[UnplannedOut(
            sequence=u.sequence_id, name=u.sequence.name, target=u.sequence.target_name,
            request=u.sequence.request_id, request_name=u.sequence.request.name,
            priority=u.sequence.priority, status=u.sequence.status, reason=u.reason)
            for u in unplanned])


def schedule_payload(schedule: Schedule) -> dict[str, Any]:
    """A stored plan as JSON-ready data (times in ISO 8601, UTC)."""
    return schedule_out(schedule).model_dump(mode="json")


def with_counts(schedules: QuerySet[Schedule]) -> QuerySet[Schedule]:
    """Each plan with how many sequences it planned and left out, in the same query."""
    return schedules.annotate(planned_count=Count("entries", distinct=True),
                              unplanned_count=Count("unplanned", distinct=True))


def history(*, limit: int = DEFAULT_HISTORY_LIMIT, offset: int = 0,
            night: date | None = None) -> ScheduleHistoryOut:
    schedules = Schedule.objects.order_by("-created_at", "-id")
    if night is not None:
        schedules = schedules.filter(night=night)
    rows = with_counts(schedules)[offset:offset + limit]
    return ScheduleHistoryOut(
        count=schedules.count(), limit=limit, offset=offset,
        schedules=[ScheduleSummaryOut(**_plan_fields(s), planned_count=s.planned_count,
                                      unplanned_count=s.unplanned_count) for s in rows])


def tonight() -> date:
    return store.tonight(active_config(), clock.now())


def tonights_schedule() -> Schedule | None:
    """Tonight's newest plan; None before the scheduler made one."""
    return store.current_schedule(tonight())


def parse_engine(raw: Any) -> Engine:
    if raw not in ENGINES:
        raise ParseError(f"unknown engine '{raw}' (engines: {', '.join(ENGINES)})")
    return raw


def parse_time_limit(raw: Any) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ParseError(f"time_limit must be a number of seconds, not '{raw}'") from None
    if not MIN_TIME_LIMIT <= value <= MAX_TIME_LIMIT:
        raise ParseError(f"time_limit must be between {MIN_TIME_LIMIT} and "
                         f"{MAX_TIME_LIMIT:g} seconds")
    return value


def _date_param(params: Any, name: str) -> date | None:
    raw = params.get(name, "")
    if raw == "":
        return None
    try:
        return parse_day(raw, name)
    except ValueError as exc:
        raise ParseError(str(exc)) from None


# --- Views -----------------------------------------------------------------------------


class ScheduleApiView(APIView):
    # AllowAny first: the schema then says that no authentication is needed.
    permission_classes: ClassVar = [AllowAny, ReadsPage]
    right: ClassVar[str] = SCHEDULE


class CurrentScheduleView(ScheduleApiView):
    @extend_schema(
        operation_id="schedule_current", tags=TAGS, summary="Tonight's plan",
        description="The newest plan of tonight (the night whose evening is today, at the "
                    "site's local time), with its entries in time order, each with its "
                    "sequence's status now, and the sequences it left out with the reason.",
        responses={200: ScheduleOut,
                   404: OpenApiResponse(DetailOut, description="no plan for tonight yet")},
    )
    def get(self, request: ApiRequest) -> Response:
        schedule = tonights_schedule()
        if schedule is None:
            raise NotFound(f"no plan for tonight (the night of {tonight().isoformat()}) yet: "
                           "is the scheduler agent running (pyros start scheduler)?")
        return Response(schedule_payload(schedule))


class ScheduleHistoryView(ScheduleApiView):
    @extend_schema(
        operation_id="schedule_history", tags=TAGS, summary="The history of plans",
        description="Every plan the scheduler made, newest first, without their entries: "
                    "what triggered it, its engine and objective, and how many sequences "
                    "it planned and left out. Page with `limit` and `offset`.",
        parameters=[
            OpenApiParameter("limit", int, default=DEFAULT_HISTORY_LIMIT,
                             description=f"how many plans at most (up to {MAX_HISTORY_LIMIT})"),
            OpenApiParameter("offset", int, default=0, description="skip this many first"),
            OpenApiParameter("night", OpenApiTypes.DATE,
                             description="only the plans of this night (its evening's date)"),
        ],
        responses={200: ScheduleHistoryOut,
                   400: OpenApiResponse(DetailOut, description="bad parameter")},
    )
    def get(self, request: ApiRequest) -> Response:
        params = request.query_params
        page = history(limit=int_param(params, "limit", DEFAULT_HISTORY_LIMIT, 1,
                                        MAX_HISTORY_LIMIT),
                       offset=int_param(params, "offset", 0, 0, 2**31 - 1),
                       night=_date_param(params, "night"))
        return Response(page.model_dump(mode="json"))


class ScheduleDetailView(ScheduleApiView):
    @extend_schema(
        operation_id="schedule_retrieve", tags=TAGS, summary="One plan of the history",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH,
                                     description="the plan's id")],
        responses={200: ScheduleOut,
                   404: OpenApiResponse(DetailOut, description="no such plan")},
    )
    def get(self, request: ApiRequest, pk: int) -> Response:
        schedule = Schedule.objects.filter(pk=pk).first()
        if schedule is None:
            raise NotFound(f"no plan #{pk}")
        return Response(schedule_payload(schedule))


class SimulateView(ScheduleApiView):
    permission_classes: ClassVar = [IsAuthenticated, ReadsPage]
    parser_classes: ClassVar = [JSONParser]

    @extend_schema(
        operation_id="schedule_simulate", tags=TAGS, summary="Plan a simulation file",
        description="Queues the planning of the body's sequences (the simulation file of "
                    "docs/scheduling.md) as the scheduler would plan them, without reading "
                    "or writing requests: the unit's site and overheads stand in for those "
                    "the file leaves out. The file is checked at once (400); the answer is "
                    "202 with the job's `url`, whose `result`, once DONE, is the plan "
                    "(`pyros schedule simulate --json`'s format). One job per user at a "
                    "time and a few site-wide ([web] jobs_per_user, job_queue): beyond, "
                    "429 with Retry-After. `engine` and `time_limit` may be given in the "
                    f"query or in the body; the time limit is at most {MAX_TIME_LIMIT:g} s.",
        parameters=[
            OpenApiParameter("engine", str, enum=list(ENGINES),
                             description="optimal: CP-SAT to the time limit; fast: greedy"),
            OpenApiParameter("time_limit", float, description=(
                f"seconds the optimal engine may search, {MIN_TIME_LIMIT} to "
                f"{MAX_TIME_LIMIT:g} (default {DEFAULT_TIME_LIMIT:g})")),
        ],
        request=SimulateIn,
        responses={202: JobAcceptedOut,
                   400: OpenApiResponse(DetailOut, description="a file that cannot be "
                                                               "planned, and why"),
                   401: OpenApiResponse(DetailOut, description="not authenticated"),
                   403: OpenApiResponse(DetailOut, description="the profile does not "
                                                               "allow this"),
                   429: BUSY_RESPONSE},
    )
    def post(self, request: ApiRequest) -> Response:
        if not isinstance(request.data, dict):
            raise ParseError("the body must be a JSON object: a simulation file")
        data = dict(request.data)
        # Taken out of the body before the file is checked: it forbids unknown keys.
        engine = data.pop("engine", "optimal")
        time_limit = data.pop("time_limit", DEFAULT_TIME_LIMIT)
        engine = parse_engine(request.query_params.get("engine", engine))
        time_limit = parse_time_limit(request.query_params.get("time_limit", time_limit))
        try:
            job = submit_simulation(request.user, data, engine=engine, time_limit=time_limit)
        except SimulationError as exc:
            raise ParseError(str(exc)) from None
        except JobRefused as exc:
            raise Busy(exc) from None
        return accepted(job)
