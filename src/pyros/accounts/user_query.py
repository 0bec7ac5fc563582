"""Finding users: the filters of the Users page, ``GET /api/users/`` and ``pyros user
list``, in one place so the three answer the same.

Kept cheap with 10,000 users: one query for the page's rows (profile joined), one for
the count, one for the programs of the rows shown; program membership is a sub-query
(members or PI), never a join that would need DISTINCT.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from pyros.accounts.management import sysadmin_q
from pyros.accounts.models import User
from pyros.accounts.profiles import ProfileLevel


@dataclass(frozen=True)
class UserFilter:
    """What to look for; empty or ``None`` is "any"."""

    text: str = ""  # in the username, names or e-mail addresses
    profile: ProfileLevel | None = None
    active: bool | None = None
    program: str = ""  # a program's name: its members and its PI


def profile_q(level: ProfileLevel) -> Q:
    """Users of that level, as :attr:`User.level` computes it (the superuser flag is a
    SysAdmin; no profile is a Visitor)."""
    if level == ProfileLevel.SYSADMIN:
        return sysadmin_q()
    plain = Q(is_superuser=False)
    if level == ProfileLevel.VISITOR:
        return plain & (Q(profile__isnull=True) | Q(profile__level=level))
    return plain & Q(profile__level=level)


def find_users(wanted: UserFilter) -> QuerySet[User]:
    """The users matching ``wanted``, by username, with their profile and programs."""
    from pyros.programs.models import ScientificProgram

    users = User.objects.all()
    text = wanted.text.strip()
    if text:
        users = users.filter(Q(username__icontains=text) | Q(email__icontains=text)
                             | Q(first_name__icontains=text) | Q(last_name__icontains=text)
                             | Q(other_email__icontains=text))
    if wanted.profile is not None:
        users = users.filter(profile_q(wanted.profile))
    if wanted.active is not None:
        users = users.filter(is_active=wanted.active)
    if wanted.program:
        members = ScientificProgram.members.through.objects.filter(
            scientificprogram__name=wanted.program).values("user_id")
        leads = ScientificProgram.objects.filter(name=wanted.program).values("pi_id")
        users = users.filter(Q(pk__in=members) | Q(pk__in=leads))
    return (users.select_related("profile")
            .prefetch_related(Prefetch("programs", queryset=ScientificProgram.objects
                                       .only("id", "name").order_by("name")))
            .order_by("username"))


def profile_label(user: User) -> str:
    """The profile's name as shown (a superuser without a profile is a SysAdmin)."""
    if user.is_superuser or user.profile_id is None:
        return {ProfileLevel.SYSADMIN: "SysAdmin", ProfileLevel.VISITOR: "Visitor"}[user.level]
    return user.profile.name
