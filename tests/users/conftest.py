"""Fixtures of the user management tests: one account per profile, and clients."""

from __future__ import annotations

import pytest
from django.test import Client

from pyros.accounts.profiles import ProfileLevel
from tests.conftest import make_user

#: The profiles the matrix gives no "users" right.
UNPRIVILEGED = [ProfileLevel.VISITOR, ProfileLevel.TAC, ProfileLevel.OBSERVER,
                ProfileLevel.IE_IS, ProfileLevel.OPERATOR, ProfileLevel.SUPEROPERATOR]


@pytest.fixture
def people(initial_data, grb_program):
    """An account per profile (``admin`` is the one SysAdmin), the observer in GRB."""
    made = {level: make_user(f"u-{level.name.lower()}", level,
                             programs=[grb_program] if level == ProfileLevel.OBSERVER else [])
            for level in ProfileLevel if level != ProfileLevel.SYSADMIN}
    from pyros.accounts.models import User

    made[ProfileLevel.SYSADMIN] = User.objects.get(username="admin")
    return made


@pytest.fixture
def pi(people):
    return people[ProfileLevel.PI]


@pytest.fixture
def admin(people):
    return people[ProfileLevel.SYSADMIN]


@pytest.fixture
def observer_account(people):
    return people[ProfileLevel.OBSERVER]


@pytest.fixture
def second_sysadmin(people):
    return make_user("root2", ProfileLevel.SYSADMIN)


def client_for(user, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def queued_to(address: str) -> int:
    """Mails to ``address`` in the outbox: queued in the change's transaction, sent when
    it commits (which a test's own transaction never does)."""
    from pyros.mail.models import OutgoingMail

    return OutgoingMail.objects.filter(to=address).count()
