"""Fixtures of the proposal tests: one user per profile, a proposal body, clients."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from pyros.accounts.profiles import ProfileLevel
from pyros.proposals import store
from pyros.proposals.models import Proposal
from pyros.proposals.spec import ProposalSpec
from tests.conftest import make_user

#: the call open at TEST_NOW (2026-11-21) is 2027A's, until 2026-12-01
PERIOD = "2027A"


def proposal_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Afterglows of short GRBs",
        "abstract": "We follow short gamma-ray bursts within minutes.",
        "requested_hours": {"VIS": 12.5, "NIR": 4},
        "targets": [{"name": "M 31", "ra": 10.6847, "dec": 41.269}],
        "co_investigators": [],
    }
    body.update(overrides)
    return body


def propose(proposer, submit: bool = True, **overrides: Any) -> Proposal:
    return store.create_proposal(ProposalSpec.model_validate(proposal_body(**overrides)),
                                 proposer, submit=submit)


@pytest.fixture
def people(initial_data) -> dict[str, Any]:
    """One user per profile (names are the profiles'), plus a second TAC member, a
    second observer and the co-investigator ``carol``."""
    users = {
        "visitor": make_user("visitor", ProfileLevel.VISITOR),
        "tac": make_user("tac", ProfileLevel.TAC),
        "tac2": make_user("tac2", ProfileLevel.TAC),
        "observer": make_user("observer", ProfileLevel.OBSERVER),
        "observer2": make_user("observer2", ProfileLevel.OBSERVER),
        "carol": make_user("carol", ProfileLevel.OBSERVER),
        "engineer": make_user("engineer", ProfileLevel.IE_IS),
        "operator": make_user("operator", ProfileLevel.OPERATOR),
        "superoperator": make_user("superoperator", ProfileLevel.SUPEROPERATOR),
        "pi": make_user("pi", ProfileLevel.PI),
        "sysadmin": make_user("sysadmin", ProfileLevel.SYSADMIN),
    }
    return users


def web(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def api(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


class QueuedMails:
    """The outbox's mails as the tests read Django's ``mail.outbox`` (``to``, ``subject``,
    ``body``): queued in the decision's transaction, sent when it commits, which a
    test's own transaction never does."""

    def _rows(self) -> list:
        from types import SimpleNamespace

        from pyros.mail.models import OutgoingMail

        return [SimpleNamespace(to=[row.to], subject=row.subject, body=row.body)
                for row in OutgoingMail.objects.order_by("id")]

    def __iter__(self):
        return iter(self._rows())

    def __len__(self) -> int:
        return len(self._rows())

    def __getitem__(self, index):
        return self._rows()[index]


@pytest.fixture
def queued_mails(db) -> QueuedMails:
    return QueuedMails()
