"""Who may see and change which requests: the rights matrix applied to requests.

"requests" HIDDEN (Visitor, TAC, Operator): no request at all. READ or ACT on
"requests.all" (IE/IS, Superoperator, PI, SysAdmin): every request; everyone else: the
requests of the programs they lead or belong to, and their own.

Every write is judged on the *acting* user, never on the request's owner: the web pages,
the REST API and the command line all end in ``store``/``drafts``, which ask here inside
the transaction that writes, so no path can forget it (issue 17, point 1).

- **Edit** a draft (its header, sequences, albums, plans; submit it): ACT on "requests"
  and either ACT on "requests.all" (PI, SysAdmin) or membership of the request's
  program. Program members co-author their program's drafts; the owner who has left the
  program no longer edits it. A submitted request's content is never edited by anyone.
- **Write into a program** (create a request there, move a draft there): membership of
  that program, or ACT on "requests.all"; and the owner must be a member too, so that
  every request belongs to someone who may use its program.
- **Cancel** (the guide's "Delete: personal one, only if not submitted; Delete ALL: PI,
  SysAdmin"): the owner, or ACT on "requests.all". A co-member does not cancel another
  member's request, submitted or not.
"""

from __future__ import annotations

from typing import Any, Final

from django.db.models import Q, QuerySet

from pyros.accounts.models import user_access
from pyros.accounts.rights import Access
from pyros.observations.models import Request
from pyros.programs.models import ScientificProgram

REQUESTS = "requests"
ALL_REQUESTS = "requests.all"


class RequestForbidden(Exception):
    """The acting user may not do this to this request (an API 403, a web 403 or form
    error, a CLI exit code)."""


class _System:
    """PyROS itself acting for a request's owner (the alerts agent, the benchmarks):
    no person is acting, so only the owner's membership is checked."""

    def __repr__(self) -> str:
        return "SYSTEM"


#: The acting "user" of writes made by PyROS itself, never by a person.
SYSTEM: Final = _System()


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


def _acts_on_all(user: Any) -> bool:
    return user_access(user, ALL_REQUESTS) == Access.ACT


def may_edit(user: Any, request: Request) -> bool:
    """May ``user`` change this request's content (if it is a draft) or submit it?"""
    if user is SYSTEM:
        return True
    if user_access(user, REQUESTS) < Access.ACT:
        return False
    return _acts_on_all(user) or request.program.has_member(user)


def may_cancel(user: Any, request: Request) -> bool:
    if user is SYSTEM:
        return True
    if user_access(user, REQUESTS) < Access.ACT:
        return False
    return request.owner_id == user.pk or _acts_on_all(user)


def writable_programs(user: Any, owner: Any) -> QuerySet[ScientificProgram]:
    """The active programs ``user`` may put a request of ``owner``'s into: what the
    forms offer."""
    programs = member_programs(owner)
    if user is SYSTEM or _acts_on_all(user):
        return programs
    if user_access(user, REQUESTS) < Access.ACT:
        return programs.none()
    return programs.filter(pk__in=member_programs(user).values("pk"))


def write_into_problem(user: Any, owner: Any, program: ScientificProgram) -> str | None:
    """Why ``user`` may not put a request of ``owner``'s into ``program``; None if they
    may."""
    if not program.is_active:
        return f"the program '{program.name}' is not active"
    if not program.has_member(owner):
        return f"{owner} is not a member of the program '{program.name}'"
    if user is SYSTEM or _acts_on_all(user):
        return None
    if user_access(user, REQUESTS) < Access.ACT:
        return "your profile may not create or change requests"
    if not program.has_member(user):
        return f"you ({user}) are not a member of the program '{program.name}'"
    return None


def may_file_for(user: Any, owner: Any) -> bool:
    """May ``user`` create a new request owned by ``owner``? Their own, or anyone's with
    ACT on "requests.all" (a co-member edits another's draft, but does not make requests
    in their name)."""
    return user is SYSTEM or getattr(user, "pk", None) == owner.pk or _acts_on_all(user)


def require_edit(user: Any, request: Request) -> None:
    if not may_edit(user, request):
        raise RequestForbidden(
            f"you may not change request #{request.pk}: only the members of its program "
            f"'{request.program.name}', the PI and the SysAdmin may")


def require_cancel(user: Any, request: Request) -> None:
    if not may_cancel(user, request):
        raise RequestForbidden(f"you may not cancel request #{request.pk}: only its owner, "
                               "the PI and the SysAdmin may")
