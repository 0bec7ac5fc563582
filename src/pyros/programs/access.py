"""Who sees which program's time: the rights matrix's "requests" rows, as for requests.

Time accounting is the execution side of requests, so the Programs page and API follow
the same rows: "requests" HIDDEN (Visitor, TAC, Operator) see nothing; READ on
"requests.all" (IE/IS, Superoperator, PI, SysAdmin) see every program; the others
(Observers) the programs they lead or belong to.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from pyros.observations.access import can_use_requests, visible_programs
from pyros.programs.accounting import period_at
from pyros.programs.models import Period, ScientificProgram


def may_see_programs(user: Any) -> bool:
    return can_use_requests(user)


def programs_of(user: Any) -> QuerySet[ScientificProgram]:
    return visible_programs(user)


def chosen_period(name: str | None, now: datetime) -> Period | None:
    """The period named, else the one containing ``now``, else the latest defined."""
    if name:
        return Period.objects.filter(name=name).first()
    return period_at(now) or Period.objects.order_by("-start").first()
