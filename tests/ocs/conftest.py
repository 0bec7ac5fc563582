"""A unit that serves the OCS API on a port of its own, clients that call it the way a
TOM does (a token, the OCS port), and a valid request group as the TOM Toolkit's OCS
facility builds it."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from pyros.accounts import api_tokens
from pyros.config.loader import load_config
from pyros.config.schema import UnitConfig
from pyros.paths import EXAMPLE_CONFIG
from tests.agents.conftest import real_clock  # noqa: F401 (a fixture)
from tests.archive.conftest import archived_night  # noqa: F401 (a fixture)

OCS_PORT = 18001


def ocs_config_text(tmp_path: Path, port: int = OCS_PORT) -> str:
    return EXAMPLE_CONFIG.read_text().replace(
        "# port = 8001          # uncomment", f"port = {port}          # uncomment"
    ).replace('root = ""                     # empty',
              f'root = "{tmp_path / "archive"}"  # empty')


@pytest.fixture
def ocs_unit(tmp_path: Path, monkeypatch) -> UnitConfig:
    path = tmp_path / "unit.toml"
    path.write_text(ocs_config_text(tmp_path))
    monkeypatch.setenv("PYROS_CONFIG", str(path))
    unit = load_config(path)
    assert unit.ocs.port == OCS_PORT
    return unit


@pytest.fixture
def archive_unit(ocs_unit) -> UnitConfig:
    """The archive's night (tests/archive/conftest.py) in the unit that serves OCS."""
    return ocs_unit


class TomClient(APIClient):
    """Calls on the OCS port, with ``Authorization: Token``, JSON bodies."""

    def __init__(self, token: str | None = None, port: int = OCS_PORT) -> None:
        super().__init__()
        self.port = port
        if token:
            self.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    def request(self, **kwargs: Any):
        kwargs["SERVER_PORT"] = str(self.port)  # Django's generic() writes 80 there
        return super().request(**kwargs)

    def post_json(self, path: str, body: Any = None):
        return self.post(path, body, format="json")


@pytest.fixture
def tom(ocs_unit, observer) -> TomClient:
    """alice (an Observer of GRB) from her TOM."""
    return TomClient(api_tokens.issue(observer).key)


def group_payload(**overrides: Any) -> dict[str, Any]:
    """What OCSFullObservationForm.observation_payload() posts, windows inside 2026B."""
    payload: dict[str, Any] = {
        "name": "SN 2026xyz",
        "proposal": "GRB",
        "ipp_value": 1.05,
        "operator": "SINGLE",
        "observation_type": "NORMAL",
        "requests": [{
            "configurations": [{
                "type": "EXPOSE",
                "instrument_type": "VIS",
                "target": {"type": "ICRS", "name": "SN 2026xyz", "ra": 150.25,
                           "dec": -20.5, "proper_motion_ra": 0.0,
                           "proper_motion_dec": 0.0, "epoch": 2000},
                "instrument_configs": [
                    {"exposure_count": 3, "exposure_time": 60.0, "mode": "full_frame",
                     "optical_elements": {"filter": "r"}},
                    {"exposure_count": 2, "exposure_time": 30.0, "mode": "full_frame",
                     "optical_elements": {"filter": "g"}},
                ],
                "acquisition_config": {}, "guiding_config": {},
                "constraints": {"max_airmass": 1.8, "min_lunar_distance": 20.0},
            }],
            "windows": [{"start": "2026-11-22T00:00:00", "end": "2026-11-23T00:00:00"}],
            "location": {"telescope_class": "1m0"},
        }],
    }
    for key, value in overrides.items():
        payload[key] = value
    return payload


def with_configuration(change: dict[str, Any], request: int = 0) -> dict[str, Any]:
    payload = copy.deepcopy(group_payload())
    payload["requests"][request]["configurations"][0].update(change)
    return payload
