"""The Programs page (/programs/): per program, for one period, the hours allocated,
planned in tonight's plan, used (charged by executions) and remaining, with a bar; and
one program's page with every period and its recent charges.

Who sees what is :mod:`pyros.programs.access`; a program one may not see is a 404, so
that its existence is not told.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from pyros import clock
from pyros.programs.access import chosen_period, may_see_programs, programs_of
from pyros.programs.accounting import ProgramTime, program_times
from pyros.programs.models import Period, TimeCharge

RECENT_CHARGES = 200


@dataclass(frozen=True)
class Row:
    """A program's figures in hours, and its bar's parts in percent of the allocation."""

    time: ProgramTime

    @property
    def hours(self) -> dict[str, float]:
        t = self.time
        return {"allocated": t.allocated / 3600, "planned": t.planned / 3600,
                "used": t.used / 3600, "remaining": t.remaining / 3600}

    @property
    def used_pct(self) -> float:
        return round(min(100.0, 100.0 * self.time.used_fraction), 1)

    @property
    def planned_pct(self) -> float:
        return round(min(100.0 - self.used_pct, 100.0 * self.time.planned_fraction), 1)

    @property
    def overdrawn(self) -> bool:
        return self.time.remaining < 0


def _require(request: HttpRequest) -> None:
    if not may_see_programs(request.user):
        raise PermissionDenied("your profile has no access to the programs' time")


@login_required
def program_list(request: HttpRequest) -> HttpResponse:
    _require(request)
    now = clock.now()
    period = chosen_period(request.GET.get("period"), now)
    if period is None and request.GET.get("period"):
        raise Http404(f"no period {request.GET['period']}")
    rows = [Row(t) for t in program_times(programs_of(request.user), period, now)] \
        if period else []
    return render(request, "programs/program_list.html", {
        "period": period, "periods": Period.objects.order_by("-start"), "rows": rows,
        "now": now})


@login_required
def program_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    program = programs_of(request.user).filter(pk=pk).first()
    if program is None:
        raise Http404(f"no program #{pk}, or not one you may see")
    now = clock.now()
    periods = Period.objects.filter(
        Q(allocations__program=program) | Q(charges__program=program)).distinct() \
        .order_by("-start")
    rows = [Row(t) for period in periods
            for t in program_times(programs_of(request.user).filter(pk=pk), period, now)]
    charges = TimeCharge.objects.filter(program=program).select_related(
        "sequence", "period").order_by("-start", "-id")[:RECENT_CHARGES]
    return render(request, "programs/program_detail.html", {
        "program": program, "rows": rows, "charges": charges, "now": now})
