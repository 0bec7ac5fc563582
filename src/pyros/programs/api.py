"""The REST API of time accounting: ``GET /api/programs/`` (every program one may see,
its figures for one period) and ``GET /api/programs/{id}/`` (one program, every period
it has time or charges in, and its recent charges). Read-only: allocations are set by the
proposals' workflow, charges by the majordome.

Same rule as the Programs page (:mod:`pyros.programs.access`); seconds and hours are
both given, seconds being what is stored and hours what allocations are made in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from pydantic import BaseModel, ConfigDict, Field
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request as ApiRequest
from rest_framework.response import Response
from rest_framework.views import APIView

from pyros import clock
from pyros.agents.api import DetailOut
from pyros.programs.access import chosen_period, may_see_programs, programs_of
from pyros.programs.accounting import ProgramTime, program_times
from pyros.programs.models import Period, TimeCharge

TAGS = ["programs"]
RECENT_CHARGES = 200
_OUTPUT = ConfigDict(json_schema_serialization_defaults_required=True)


class TimeOut(BaseModel):
    """One program's time in one period."""

    model_config = _OUTPUT

    program: str
    program_id: int
    period: str
    allocated_s: float = Field(description="the allocation (quota), seconds")
    planned_s: float = Field(description="what tonight's plan still holds, seconds")
    used_s: float = Field(description="sum of the charges: time executions held the "
                                      "telescope, seconds")
    remaining_s: float = Field(description="allocated − used; negative when overdrawn")
    allocated_h: float
    planned_h: float
    used_h: float
    remaining_h: float


class ChargeOut(BaseModel):
    """One execution of a sequence and what it cost."""

    model_config = _OUTPUT

    sequence: int | None
    period: str | None
    start: datetime
    end: datetime
    seconds: float
    breakdown: dict[str, float] = Field(description="exposure, readout, slew, overhead")
    outcome: str
    reason: str
    alert: bool


class ProgramListOut(BaseModel):
    model_config = _OUTPUT

    period: str | None
    programs: list[TimeOut]


class ProgramDetailOut(BaseModel):
    model_config = _OUTPUT

    program: str
    program_id: int
    periods: list[TimeOut] = Field(description="newest period first")
    charges: list[ChargeOut] = Field(description=f"the latest {RECENT_CHARGES}, newest first")


def time_out(t: ProgramTime) -> TimeOut:
    return TimeOut(program=t.program.name, program_id=t.program.pk, period=t.period.name,
                   allocated_s=round(t.allocated, 3), planned_s=round(t.planned, 3),
                   used_s=round(t.used, 3), remaining_s=round(t.remaining, 3),
                   allocated_h=round(t.allocated / 3600, 4), planned_h=round(t.planned / 3600, 4),
                   used_h=round(t.used / 3600, 4), remaining_h=round(t.remaining / 3600, 4))


def _json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


class MaySeePrograms(BasePermission):
    message = "Your profile does not give access to the programs' time."

    def has_permission(self, request: ApiRequest, view: APIView) -> bool:
        return may_see_programs(request.user)


_ERRORS = {403: OpenApiResponse(DetailOut, description="not logged in, or not allowed")}


class ProgramListView(APIView):
    permission_classes: ClassVar = [IsAuthenticated, MaySeePrograms]

    @extend_schema(
        operation_id="programs_list", tags=TAGS, summary="Programs' time in a period",
        description="Every program you may see with time or charges in the period: "
                    "allocated, planned tonight, used, remaining.",
        parameters=[OpenApiParameter("period", str, description="e.g. 2026B; default: the "
                                     "current period")],
        responses={200: ProgramListOut, 404: OpenApiResponse(DetailOut, description="no "
                   "such period"), **_ERRORS})
    def get(self, request: ApiRequest) -> Response:
        now = clock.now()
        name = request.query_params.get("period")
        period = chosen_period(name, now)
        if period is None and name:
            raise NotFound(f"no period {name}")
        times = program_times(programs_of(request.user), period, now) if period else []
        return Response(_json(ProgramListOut(period=period.name if period else None,
                                             programs=[time_out(t) for t in times])))


class ProgramDetailView(APIView):
    permission_classes: ClassVar = [IsAuthenticated, MaySeePrograms]

    @extend_schema(
        operation_id="programs_retrieve", tags=TAGS, summary="One program's time",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)],
        responses={200: ProgramDetailOut, 404: OpenApiResponse(
            DetailOut, description="no such program, or not one you may see"), **_ERRORS})
    def get(self, request: ApiRequest, pk: int) -> Response:
        visible = programs_of(request.user).filter(pk=pk)
        program = visible.first()
        if program is None:
            raise NotFound(f"no program #{pk}, or not one you may see")
        now = clock.now()
        periods = Period.objects.filter(
            Q(allocations__program=program) | Q(charges__program=program)).distinct() \
            .order_by("-start")
        times = [t for period in periods for t in program_times(visible, period, now)]
        charges = TimeCharge.objects.filter(program=program).select_related("period") \
            .order_by("-start", "-id")[:RECENT_CHARGES]
        return Response(_json(ProgramDetailOut(
            program=program.name, program_id=program.pk, periods=[time_out(t) for t in times],
            charges=[ChargeOut(sequence=c.sequence_id, period=c.period.name if c.period else
                               None, start=c.start, end=c.end, seconds=c.seconds,
                               breakdown=c.breakdown, outcome=c.outcome, reason=c.reason,
                               alert=c.alert) for c in charges])))
