"""The OCS port gets what any port gets: hostile bodies and ids are answered with a
clear 400 (or the portal's 200 with errors for validation), never a 500, and nothing
is stored."""

from __future__ import annotations

import pytest

from pyros.observations.models import Request
from tests.ocs.conftest import group_payload

pytestmark = pytest.mark.django_db

DEEP = '{"a":' * 100 + "1" + "}" * 100


def _bodies() -> list:
    good = group_payload()
    request = good["requests"][0]
    configuration = request["configurations"][0]
    return [
        {}, [], "text", None, 1e308,
        {**good, "requests": "x"},
        {**good, "requests": [None]},
        {**good, "requests": []},
        {**good, "ipp_value": "high"},
        {**good, "name": "x" * 10_000},
        {**good, "observation_type": "SOON"},
        {**good, "operator": "MANY"},
        {**good, "requests": [{**request, "windows": [{"start": "yesterday", "end": 3}]}]},
        {**good, "requests": [{**request, "windows": [{"start": "0001-01-01T00:00:00",
                                                       "end": "9999-12-31T23:59:59"}]}]},
        {**good, "requests": [{**request, "location": None}]},
        {**good, "requests": [{**request, "configurations": [
            {**configuration, "instrument_configs": [{"exposure_time": -1,
                                                      "exposure_count": 10**12}]}]}]},
        {**good, "requests": [{**request, "configurations": [
            {**configuration, "target": {"type": "ICRS", "name": "",
                                         "ra": None, "dec": "north"}}]}]},
        {**good, "requests": [{**request, "configurations": [
            {**configuration, "instrument_configs": [
                {"exposure_time": 1, "exposure_count": 1, "optical_elements": None}]}]}]},
        {**good, "requests": [request] * 1001},
    ]


@pytest.mark.parametrize("body", _bodies())
@pytest.mark.parametrize("path", ["/api/requestgroups/", "/api/requestgroups/validate/"])
def test_hostile_bodies_are_refused_clearly(tom, path, body):
    answer = tom.post_json(path, body)
    if path.endswith("validate/"):
        assert answer.status_code == 200 and answer.json()["errors"], answer.content
    else:
        assert answer.status_code == 400, answer.content
    assert Request.objects.count() == 0


@pytest.mark.parametrize("raw", [
    DEEP.encode(), b'{"name": NaN}', b"\xff\xfe", b'{"a": "\\u0000"}',
    b'{"ipp_value": 100000000000000000000000000000}'])
def test_hostile_json_is_a_400_before_any_view(tom, raw):
    answer = tom.post("/api/requestgroups/", raw, content_type="application/json")
    assert answer.status_code == 400


@pytest.mark.parametrize("path", [
    "/api/requests/0", "/api/requests/-1", "/api/requests/1e3", "/api/requests/%00",
    "/api/requestgroups/99999999999999999999/", "/api/requestgroups?request_id=%00",
    "/api/requestgroups?request_id=99999999999999999999", "/frames/?REQNUM=x",
    "/frames/?limit=100000", "/frames/1/file/?signature=garbage",
    "/api/requests/1/observations/?x=" + "y" * 5000,
])
def test_hostile_paths_and_queries_are_4xx(tom, path):
    assert 400 <= tom.get(path).status_code < 500


def test_an_unknown_path_of_the_ocs_port_is_a_json_404(tom):
    for path in ("/nothing/here", "/api/requests/-1", "/frames/x/"):
        answer = tom.get(path)
        assert answer.status_code == 404 and "Not found" in answer.json()["detail"]
