"""Numbers no date can hold, sent through every way a request comes in: the REST API
(JSON body), the import page (XML and JSON files) and ``pyros request import``. Each
answers with the field and the reason (400, the page's problem list, exit code 1) and
stores nothing; before, 1e308 days was an OverflowError, a 500 or a traceback."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from pyros import paths
from pyros.cli.main import cli
from pyros.observations.models import Request, Sequence
from tests.conftest import request_dict

pytestmark = pytest.mark.django_db

GUIDE_EXAMPLE = (paths.EXAMPLE_CONFIG.parents[3] / "examples" / "guide_request.xml").read_bytes()

#: (file name, content, what the answer must say)
HOSTILE_FILES = [
    ("far.xml", GUIDE_EXAMPLE.replace(b'jd1="15"', b'jd1="1e308"'),
     "field 'jd1': 1e+308 days from now is out of range"),
    ("inf.xml", GUIDE_EXAMPLE.replace(b'jd2="60000"', b'jd2="inf"'),
     "field 'jd2': 'inf' is not a finite number"),
    ("nan.xml", GUIDE_EXAMPLE.replace(b'jd1="15"', b'jd1="nan"'),
     "field 'jd1': 'nan' is not a finite number"),
    ("edge.json", json.dumps(request_dict()).replace(
        "2026-11-23T00:00:00Z", "9999-12-31T23:59:59-01:00").encode(),
     "field 'end': 9999-12-31T23:59:59-01:00 is out of range (from 1900 to 3000)"),
    ("nan.json", json.dumps(request_dict()).replace('"duration": 600', '"duration": NaN')
     .encode(), "field 'duration'"),
]


def nothing_stored() -> bool:
    return not Request.objects.exists() and not Sequence.objects.exists()


@pytest.mark.parametrize(("start", "expected"), [
    ("0001-01-01T00:00:00+01:00", "is out of range (from 1900 to 3000)"),
    ("9999-12-31T23:59:59Z", "9999-12-31 is out of range"),
    (1e308, "dates after 9999 are not supported"),
])
def test_the_api_answers_400_for_windows_out_of_range(observer, start, expected):
    client = APIClient()
    client.force_authenticate(observer)
    data = request_dict()
    data["sequences"][0]["start"] = start
    answer = client.post("/api/requests/", data, format="json")
    assert answer.status_code == 400, answer.content[:300]
    assert any(p["field"] == "start" and expected in p["message"]
               for p in answer.json()["problems"]), answer.json()
    assert nothing_stored()


def test_the_api_refuses_nan_and_infinity_in_the_body(observer):
    client = APIClient()
    client.force_authenticate(observer)
    body = json.dumps(request_dict()).replace('"ra": 150.25', '"ra": Infinity')
    answer = client.post("/api/requests/", body, content_type="application/json")
    assert answer.status_code == 400, answer.content[:300]
    assert nothing_stored()


@pytest.mark.parametrize(("name", "content", "expected"), HOSTILE_FILES)
def test_the_import_page_lists_the_problem(observer, name, content, expected):
    client = Client()
    client.force_login(observer)
    answer = client.post(reverse("observations:request-import"),
                         {"file": SimpleUploadedFile(name, content)})
    assert answer.status_code == 200  # the page again, with its problems
    assert expected in answer.content.decode().replace("&#x27;", "'"), expected
    assert nothing_stored()


@pytest.mark.parametrize(("name", "content", "expected"), HOSTILE_FILES)
def test_the_cli_import_exits_1_with_the_problem(observer, tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    result = CliRunner().invoke(cli, ["request", "import", str(path), "--as", "alice"],
                                catch_exceptions=False)
    assert result.exit_code == 1
    assert expected in result.output
    assert nothing_stored()


def test_the_sequence_form_refuses_a_window_out_of_range(observer):
    from pyros.observations import store
    from pyros.observations.json_format import spec_from_data

    draft = store.create_request(spec_from_data(request_dict()), observer)
    client = Client()
    client.force_login(observer)
    answer = client.post(reverse("observations:sequence-create", args=[draft.pk]), {
        "name": "far", "target": "x", "ra": 1, "dec": 1, "start": "9999-12-31T00:00:00",
        "end": "9999-12-31T23:59:59", "duration": 60, "priority": 5,
        "obs_type": "BESTELEV", "max_airmass": 2, "min_moon_separation": 0})
    assert answer.status_code == 200  # the form again, with its errors
    assert "9999-12-31 is out of range (from 1900 to 3000)" in answer.content.decode()
    assert draft.sequences.count() == 1
