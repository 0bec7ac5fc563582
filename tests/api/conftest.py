"""Fixtures for the REST API tests: clients logged in the way real clients are, and
users of the profiles whose rights differ on requests."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from pyros.accounts.profiles import ProfileLevel
from tests.conftest import ADMIN_PASSWORD, OBSERVER_PASSWORD, make_user


@pytest.fixture
def login() -> Callable[..., APIClient]:
    """A client with a session for ``user``, through the real password check."""

    def logged_in(user, password: str = OBSERVER_PASSWORD) -> APIClient:
        client = APIClient()
        assert client.login(username=user.username, password=password)
        return client

    return logged_in


@pytest.fixture
def admin_client(admin_user, login) -> APIClient:
    return login(admin_user, ADMIN_PASSWORD)


@pytest.fixture
def other_program(admin_user):
    """A second program, led by the administrator, with time in 2026B."""
    from pyros.programs.models import Allocation, Period, ScientificProgram

    program = ScientificProgram.objects.create(name="Exoplanets", pi=admin_user)
    Allocation.objects.create(program=program, period=Period.objects.get(name="2026B"),
                              quota_hours=Decimal("50"))
    return program


@pytest.fixture
def engineer(initial_data):
    """IE/IS: reads every request, changes none but those of their programs."""
    return make_user("ingrid", ProfileLevel.IE_IS)


@pytest.fixture
def pi_user(initial_data):
    """A PI-profile user who belongs to no program: acts on every request."""
    return make_user("paula", ProfileLevel.PI)
