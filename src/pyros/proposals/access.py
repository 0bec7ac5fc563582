"""Who may see and do what with proposals: the rights matrix applied to them. The web
pages and the REST API both ask here, so they can never disagree.

From ``accounts/rights.py`` (the guide's table, section 13.12.1.1):

- "proposals" HIDDEN (Visitor, Operator): nothing at all (403).
- Seeing every proposal is for those the matrix gives a task over all of them: voting
  ("proposals.vote" ACT, the TAC) or deciding ("proposals.quota" ACT, PI and SysAdmin).
  Everyone else who may read proposals (Observer, IE/IS, Superoperator) sees only the
  proposals they made or are a co-investigator of; the others answer 404, as if they
  did not exist. (The guide's "See all proposals" is green for them too, but issue 16
  asks that a member of one program never sees another's proposals.)
- Creating, changing, submitting: "proposals.create" ACT; changing, submitting and
  deleting one's own only ("Update", "Delete (personal before SP)"); the PI and the
  SysAdmin may delete any proposal not accepted ("Delete (all before SP)").
- Votes ("View Vote"): the TAC, the PI and the SysAdmin see every vote with its voter;
  a proposal's proposer and co-investigators see its grades and comments, without the
  voters' names, once it is decided (so nobody lobbies a voter while the vote is open).
- Programs made from proposals: the program's own PI and "proposals.quota" ACT add and
  remove members; its members see its page.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.db.models import Q, QuerySet

from pyros.accounts.models import user_access
from pyros.accounts.rights import Access
from pyros.programs.models import ScientificProgram
from pyros.proposals.models import Proposal, ProposalStatus

PROPOSALS = "proposals"
CREATE = "proposals.create"
VOTE = "proposals.vote"
QUOTA = "proposals.quota"


class VoteView(StrEnum):
    NONE = "none"
    ANONYMOUS = "anonymous"
    ALL = "all"


def can_read(user: Any) -> bool:
    return user_access(user, PROPOSALS) >= Access.READ


def can_create(user: Any) -> bool:
    return user_access(user, CREATE) == Access.ACT


def can_vote(user: Any) -> bool:
    return user_access(user, VOTE) == Access.ACT


def can_decide(user: Any) -> bool:
    return user_access(user, QUOTA) == Access.ACT


def sees_all(user: Any) -> bool:
    return can_read(user) and (can_vote(user) or can_decide(user))


def own_filter(user: Any) -> Q:
    """Proposals ``user`` made or is a co-investigator of (no join that duplicates)."""
    co = Proposal.co_investigators.through.objects.filter(user_id=user.pk)
    return Q(proposer_id=user.pk) | Q(pk__in=co.values("proposal_id"))


def visible_proposals(user: Any) -> QuerySet[Proposal]:
    proposals = Proposal.objects.select_related("call__period", "proposer")
    if not can_read(user):
        return proposals.none()
    if sees_all(user):
        return proposals
    return proposals.filter(own_filter(user))


def is_involved(user: Any, proposal: Proposal) -> bool:
    return proposal.proposer_id == user.pk or proposal.co_investigators.filter(
        pk=user.pk).exists()


def may_edit(user: Any, proposal: Proposal) -> bool:
    """Change, submit: its proposer, while it is undecided (the store checks the
    deadline and says why when it has passed)."""
    return (can_create(user) and proposal.proposer_id == user.pk
            and proposal.status in (ProposalStatus.DRAFT, ProposalStatus.SUBMITTED))


def may_delete(user: Any, proposal: Proposal) -> bool:
    if proposal.status == ProposalStatus.ACCEPTED:
        return False
    return can_decide(user) or (proposal.proposer_id == user.pk and can_create(user))


def vote_view(user: Any, proposal: Proposal) -> VoteView:
    if can_vote(user) or can_decide(user):
        return VoteView.ALL
    if proposal.is_decided and can_read(user) and is_involved(user, proposal):
        return VoteView.ANONYMOUS
    return VoteView.NONE


def may_manage_members(user: Any, program: ScientificProgram) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return program.pi_id == user.pk or can_decide(user)


def may_view_program(user: Any, program: ScientificProgram) -> bool:
    return may_manage_members(user, program) or (
        getattr(user, "is_authenticated", False) and user.is_active
        and program.has_member(user))
