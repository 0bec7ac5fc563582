"""Who may see and change which requests: the rights matrix applied to requests.

"requests" HIDDEN (Visitor, TAC, Operator): no request at all. READ or ACT on
"requests.all" (IE/IS, Superoperator, PI, SysAdmin): every request; everyone else: the
requests of the programs they lead or belong to, and their own. Changing is for the
owner, the program's members, and ACT on "requests.all" (PI, SysAdmin). The web pages
and the REST API both ask here.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from pyros.accounts.models import user_access
from pyros.accounts.rights import Access
from pyros.observations.models import Request
from pyros.programs.models import ScientificProgram

REQUESTS = "requests"
ALL_REQUESTS = "requests.all"


def can_use_requests(user: Any) -> bool:
    return user_access(user, REQUESTS) > Access.HIDDEN


def member_programs(user: Any, *, active_only: bool = True) -> QuerySet[ScientificProgram]:
    """The programs ``user`` leads or belongs to: those a request of theirs may use."""
    programs = ScientificProgram.objects.filter(
        Q(pi=user) | Q(pk__in=user.programs.values("pk")))
    return programs.filter(is_active=True) if active_only else programs


def visible_requests(user: Any) -> QuerySet[Request]:
    requests = Request.objects.select_related("program", "owner")
    if user_access(user, ALL_REQUESTS) >= Access.READ:
        return requests
    mine = member_programs(user, active_only=False).values("pk")
    return requests.filter(Q(owner=user) | Q(program__in=mine))


def visible_programs(user: Any) -> QuerySet[ScientificProgram]:
    if user_access(user, ALL_REQUESTS) >= Access.READ:
        return ScientificProgram.objects.all()
    return member_programs(user, active_only=False)


def may_change(user: Any, request: Request) -> bool:
    if user_access(user, REQUESTS) < Access.ACT:
        return False
    return (request.owner_id == user.pk or user_access(user, ALL_REQUESTS) == Access.ACT
            or request.program.has_member(user))
