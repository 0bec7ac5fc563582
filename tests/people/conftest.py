"""Helpers of the registration and mail tests."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from pyros.accounts.profiles import ProfileLevel
from tests.conftest import make_user

PASSWORD = "a-long-enough-pass-phrase"

REGISTRATION = {
    "username": "carol", "first_name": "Carol", "last_name": "Shoemaker",
    "email": "carol@example.org", "institute": "Lowell Observatory",
    "intentions": "Follow-up of near-Earth asteroids.",
    "password1": PASSWORD, "password2": PASSWORD,
}


def links(text: str) -> list[str]:
    """The site's links in a mail, as paths (the test client's)."""
    return [m.group(1) for m in re.finditer(r"https?://[^/\s]+(/\S*)", text)]


@pytest.fixture
def pi(initial_data):
    user = make_user("paula", ProfileLevel.PI)
    user.first_name, user.last_name = "Paula", "Investigator"
    user.save()
    return user


@pytest.fixture
def pi_client(pi) -> Client:
    client = Client()
    client.force_login(pi)
    return client
