"""The only place that writes proposals, votes and decisions, so that the pages and
the REST API obey the same rules: the deadline, the statuses, the unit's channels.

Who may call what is ``proposals.access``'s business; here is *when* and *whether the
content is right*. Refusals raise ``ProposalRefused`` (the page shows the message, the
API answers 400), bad content ``ProposalInvalid`` with a message per field. Mails go
after the transaction is over, so a mail server that is down never undoes a decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from pyros import clock
from pyros.accounts.models import User
from pyros.programs.models import Allocation, ScientificProgram
from pyros.proposals import mails
from pyros.proposals.calls import open_call
from pyros.proposals.models import Call, Proposal, ProposalStatus, ProposalTarget, Vote
from pyros.proposals.spec import ProposalSpec


class ProposalRefused(Exception):
    """Not now, or not in this status: the message says why."""


class ProposalInvalid(Exception):
    """The content is wrong; ``problems`` maps each field ("" for the whole) to messages."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{f or 'proposal'}: {m}" for f, ms in problems.items()
                                   for m in ms))


@dataclass(frozen=True)
class Decision:
    quota_hours: Decimal
    priority: int
    program_name: str
    comment: str = ""


def channel_names() -> list[str]:
    return [c.name for c in settings.UNIT.channels]


def check(spec: ProposalSpec, proposer: Any) -> list[User]:
    """The checks against the unit and the database; the co-investigators' users."""
    problems: dict[str, list[str]] = {}
    known = channel_names()
    unknown = [name for name in spec.requested_hours if name not in known]
    if unknown:
        problems["requested_hours"] = [f"no channel {', '.join(map(repr, unknown))} "
                                       f"(channels: {', '.join(known)})"]
    names = list(dict.fromkeys(spec.co_investigators))
    users = list(User.objects.filter(username__in=names, is_active=True))
    missing = sorted(set(names) - {u.username for u in users})
    co_problems = []
    if missing:
        co_problems.append(f"no active user {', '.join(map(repr, missing))}")
    if proposer.username in names:
        co_problems.append("the proposer is not their own co-investigator")
    if co_problems:
        problems["co_investigators"] = co_problems
    if problems:
        raise ProposalInvalid(problems)
    return users


def _require_open(call: Call, now: datetime, what: str) -> None:
    if not call.is_open(now):
        when = "closed on" if now >= call.deadline else "opens on"
        date = call.deadline if now >= call.deadline else call.opens
        raise ProposalRefused(f"cannot {what}: the {call} {when} "
                              f"{date:%Y-%m-%d %H:%M} UTC")


def _write(proposal: Proposal, spec: ProposalSpec, co: list[User]) -> None:
    proposal.title, proposal.abstract = spec.title, spec.abstract
    proposal.requested_hours = {k: v for k, v in spec.requested_hours.items() if v > 0}
    proposal.save()
    proposal.co_investigators.set(co)
    proposal.targets.all().delete()
    ProposalTarget.objects.bulk_create(
        ProposalTarget(proposal=proposal, name=t.name, ra=t.ra, dec=t.dec) for t in spec.targets)


def create_proposal(spec: ProposalSpec, proposer: Any, *, submit: bool = False) -> Proposal:
    """A new proposal for the open call, a DRAFT (or SUBMITTED with ``submit``)."""
    now = clock.now()
    call = open_call(now)
    if call is None:
        raise ProposalRefused("no call for proposals is open now")
    co = check(spec, proposer)
    with transaction.atomic():
        proposal = Proposal(call=call, proposer=proposer, created_at=now, updated_at=now)
        if submit:
            proposal.status, proposal.submitted_at = ProposalStatus.SUBMITTED, now
        _write(proposal, spec, co)
    return proposal


def _locked(proposal: Proposal) -> Proposal:
    return Proposal.objects.select_for_update().select_related("call__period").get(
        pk=proposal.pk)


def update_proposal(proposal: Proposal, spec: ProposalSpec, *, submit: bool = False) -> Proposal:
    """Change an undecided proposal before its call's deadline (a submitted one stays
    submitted)."""
    now = clock.now()
    co = check(spec, proposal.proposer)
    with transaction.atomic():
        current = _locked(proposal)
        if current.is_decided:
            raise ProposalRefused(f"proposal #{current.pk} is {current.status}: it cannot change")
        _require_open(current.call, now, "change this proposal")
        current.updated_at = now
        if submit and current.status == ProposalStatus.DRAFT:
            current.status, current.submitted_at = ProposalStatus.SUBMITTED, now
        _write(current, spec, co)
    return current


def submit_proposal(proposal: Proposal) -> Proposal:
    now = clock.now()
    with transaction.atomic():
        current = _locked(proposal)
        if current.status != ProposalStatus.DRAFT:
            raise ProposalRefused(f"proposal #{current.pk} is {current.status}, not a DRAFT")
        _require_open(current.call, now, "submit this proposal")
        current.status, current.submitted_at, current.updated_at = (
            ProposalStatus.SUBMITTED, now, now)
        current.save(update_fields=["status", "submitted_at", "updated_at"])
    return current


def delete_proposal(proposal: Proposal, *, any_time: bool = False) -> None:
    """Delete a proposal not accepted: its proposer before the deadline; with
    ``any_time`` (the PI, the SysAdmin) whenever."""
    with transaction.atomic():
        current = _locked(proposal)
        if current.status == ProposalStatus.ACCEPTED:
            raise ProposalRefused(f"proposal #{current.pk} is ACCEPTED: it is a program now")
        if not any_time:
            _require_open(current.call, clock.now(), "delete this proposal")
        current.delete()


def vote(proposal: Proposal, voter: Any, grade: int, comment: str = "") -> Vote:
    """The voter's vote, made or changed, on a SUBMITTED proposal."""
    if not 1 <= int(grade) <= 5:
        raise ProposalInvalid({"grade": ["a grade is from 1 to 5"]})
    now = clock.now()
    with transaction.atomic():
        current = _locked(proposal)
        if current.status != ProposalStatus.SUBMITTED:
            raise ProposalRefused(f"proposal #{current.pk} is {current.status}: votes are "
                                  "for submitted proposals until the decision")
        the_vote, _ = Vote.objects.update_or_create(
            proposal=current, voter=voter,
            defaults={"grade": grade, "comment": comment.strip(), "updated_at": now})
    return the_vote


def accept(proposal: Proposal, by: Any, decision: Decision) -> ScientificProgram:
    """The proposal becomes a program led by its proposer, its co-investigators the
    members, with ``quota_hours`` in the call's period; everyone involved is mailed."""
    now = clock.now()
    if ScientificProgram.objects.filter(name=decision.program_name).exists():
        raise ProposalInvalid({"program_name": [
            f"a program named {decision.program_name!r} exists already"]})
    try:
        with transaction.atomic():
            current = _locked(proposal)
            if current.status != ProposalStatus.SUBMITTED:
                raise ProposalRefused(f"proposal #{current.pk} is {current.status}: only a "
                                      "SUBMITTED proposal is decided")
            program = ScientificProgram.objects.create(
                name=decision.program_name, description=current.abstract,
                pi=current.proposer, priority=decision.priority)
            program.members.set(current.co_investigators.all())
            Allocation.objects.create(program=program, period=current.call.period,
                                      quota_hours=decision.quota_hours)
            _decided(current, by, now, ProposalStatus.ACCEPTED, decision.comment, program)
    except IntegrityError as exc:  # the same name taken at the same moment
        raise ProposalInvalid({"program_name": [str(exc)]}) from exc
    mails.proposal_decided(current)
    return program


def reject(proposal: Proposal, by: Any, comment: str = "") -> Proposal:
    now = clock.now()
    with transaction.atomic():
        current = _locked(proposal)
        if current.status != ProposalStatus.SUBMITTED:
            raise ProposalRefused(f"proposal #{current.pk} is {current.status}: only a "
                                  "SUBMITTED proposal is decided")
        _decided(current, by, now, ProposalStatus.REJECTED, comment, None)
    mails.proposal_decided(current)
    return current


def _decided(proposal: Proposal, by: Any, now: datetime, status: ProposalStatus,
             comment: str, program: ScientificProgram | None) -> None:
    proposal.status, proposal.decided_by, proposal.decided_at = status, by, now
    proposal.decision_comment, proposal.program, proposal.updated_at = comment.strip(), program, now
    proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_comment",
                                 "program", "updated_at"])


def add_member(program: ScientificProgram, username: str, by: Any) -> User:
    user = User.objects.filter(username=username.strip(), is_active=True).first()
    if user is None:
        raise ProposalInvalid({"username": [f"no active user {username.strip()!r}"]})
    if program.has_member(user):
        raise ProposalInvalid({"username": [f"{user.username} is already in {program}"]})
    program.members.add(user)
    mails.membership_changed(program, user, added=True, by=by)
    return user


def remove_member(program: ScientificProgram, user: User, by: Any) -> None:
    if not program.members.filter(pk=user.pk).exists():
        raise ProposalRefused(f"{user.username} is not a member of {program}")
    program.members.remove(user)
    mails.membership_changed(program, user, added=False, by=by)
