"""Every mail about proposals and program membership, through the durable outbox
(``pyros.mail``): stored with the decision, sent when it commits, retried while the
mail server is down, a failure shown to the PI; it never undoes what it reports.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from pyros.accounts.mails import site_url
from pyros.mail.outbox import queue_mail

log = logging.getLogger(__name__)


def _send(subject: str, body: str, users: Iterable[Any]) -> None:
    queue_mail([user.email for user in users if user.email], subject, body, kind="proposals")


def proposal_decided(proposal: Any) -> None:
    """To the proposer and every co-investigator: accepted (with the program and its
    time) or rejected, and the PI's comment."""
    period = proposal.call.period.name
    if proposal.program is not None:
        allocation = proposal.program.allocations.get(period=proposal.call.period)
        subject = f"[PyROS] Proposal accepted: {proposal.title}"
        outcome = (f"Your proposal \"{proposal.title}\" for {period} is accepted.\n\n"
                   f"It is now the scientific program \"{proposal.program.name}\", led by "
                   f"{proposal.proposer.username}, with {allocation.quota_hours} hours in "
                   f"{period} and priority {proposal.program.priority}.\n"
                   f"Program page: {site_url(f'/proposals/programs/{proposal.program.pk}/')}\n")
    else:
        subject = f"[PyROS] Proposal not accepted: {proposal.title}"
        outcome = f"Your proposal \"{proposal.title}\" for {period} is not accepted.\n"
    if proposal.decision_comment:
        outcome += f"\nThe PI's comment:\n{proposal.decision_comment}\n"
    _send(subject, outcome, [proposal.proposer, *proposal.co_investigators.all()])


def membership_changed(program: Any, user: Any, *, added: bool, by: Any) -> None:
    """To the user added to or removed from a program."""
    if added:
        subject = f"[PyROS] You are a member of {program.name}"
        body = (f"{by.username} added you to the scientific program \"{program.name}\": "
                f"you may now make observation requests for it.\n"
                f"Program page: {site_url(f'/proposals/programs/{program.pk}/')}\n")
    else:
        subject = f"[PyROS] You are no longer a member of {program.name}"
        body = f"{by.username} removed you from the scientific program \"{program.name}\".\n"
    _send(subject, body, [user])
