"""Helpers of the archive API's tests: a client as someone, and the site opened to
anonymous visitors."""

from __future__ import annotations

from pathlib import Path

import pytest
from rest_framework.test import APIClient

from pyros.config.loader import load_config
from pyros.config.schema import UnitConfig

API = "/api/archive"


def api(user=None) -> APIClient:
    """A client logged in as ``user`` (anonymous when None)."""
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def body(response) -> bytes:
    """The whole body, streamed or not."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


@pytest.fixture
def open_to_anonymous(archived_night, tmp_path: Path, monkeypatch) -> UnitConfig:
    """The same unit with ``public_to_anonymous = true`` (a file of its own: the loaded
    configuration is cached per path)."""
    import os

    text = Path(os.environ["PYROS_CONFIG"]).read_text().replace(
        "public_to_anonymous = false", "public_to_anonymous = true")
    path = tmp_path / "unit-public.toml"
    path.write_text(text)
    monkeypatch.setenv("PYROS_CONFIG", str(path))
    unit = load_config(path)
    assert unit.archive.public_to_anonymous
    return unit


@pytest.fixture
def after_the_night(archived_night, simulated_clock):
    """The morning after the night's frames were taken (the requests made before it):
    the calibrations are public, the program's frames are not for a year."""
    from datetime import timedelta

    from tests.archive.conftest import TAKEN

    simulated_clock.set(TAKEN + timedelta(days=1))
    return simulated_clock
