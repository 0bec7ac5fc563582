"""The deadline, enforced on a moved clock, and bad input: form errors or 400 with
the reason, never a 500 and never a half-written proposal."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pyros.proposals.models import Proposal, ProposalStatus
from tests.proposals.conftest import api, proposal_body, propose, web

pytestmark = pytest.mark.django_db

AFTER_DEADLINE = datetime(2026, 12, 1, 0, 0, 1, tzinfo=UTC)


def test_after_the_deadline_the_proposal_is_read_only(people, simulated_clock):
    alice = people["observer"]
    draft = propose(alice, submit=False)
    submitted = propose(alice, title="Second")
    simulated_clock.set(AFTER_DEADLINE)
    client, rest = web(alice), api(alice)

    page = client.get(f"/proposals/{draft.pk}/").content.decode()
    assert "read-only" in page and "/edit/" not in page and "Submit to the TAC" not in page
    for answer in (client.get(f"/proposals/{draft.pk}/edit/"),
                   client.post(f"/proposals/{draft.pk}/submit/"),
                   client.post(f"/proposals/{submitted.pk}/delete/"),
                   rest.patch(f"/api/proposals/{submitted.pk}/", {"title": "late"},
                              format="json"),
                   rest.delete(f"/api/proposals/{draft.pk}/")):
        assert answer.status_code == 400
        assert "closed on 2026-12-01 00:00 UTC" in answer.content.decode()
    # No call is open for a new one.
    assert client.get("/proposals/new/").status_code == 400
    answer = rest.post("/api/proposals/", proposal_body(), format="json")
    assert answer.status_code == 400 and "no call" in answer.json()["detail"]
    assert Proposal.objects.get(pk=draft.pk).status == ProposalStatus.DRAFT
    assert Proposal.objects.count() == 2
    # The PI still deletes a proposal not accepted ("Delete (all before SP)").
    assert api(people["pi"]).delete(f"/api/proposals/{draft.pk}/").status_code == 204


def test_before_the_deadline_through_the_api(people):
    rest = api(people["observer"])
    made = rest.post("/api/proposals/", proposal_body(co_investigators=["carol"]),
                     format="json")
    assert made.status_code == 201, made.json()
    body = made.json()
    assert (body["status"], body["period"], body["proposer"]) == ("DRAFT", "2027A", "observer")
    pk = body["id"]
    changed = rest.patch(f"/api/proposals/{pk}/", {"title": "Better title",
                                                   "submitted": True}, format="json")
    assert changed.status_code == 200
    assert (changed.json()["title"], changed.json()["status"]) == ("Better title", "SUBMITTED")
    assert changed.json()["co_investigators"] == ["carol"]
    assert rest.delete(f"/api/proposals/{pk}/").status_code == 204
    assert not Proposal.objects.exists()


@pytest.mark.parametrize("body, field", [
    ({"requested_hours": {"UV": 3}}, "requested_hours"),
    ({"requested_hours": {"VIS": 0}}, ""),
    ({"requested_hours": {"VIS": -1}}, "requested_hours"),
    ({"requested_hours": {"VIS": 1e9}}, "requested_hours"),
    ({"requested_hours": {"VIS": "lots"}}, "requested_hours"),
    ({"requested_hours": []}, "requested_hours"),
    ({"title": ""}, "title"),
    ({"title": "x" * 101}, "title"),
    ({"targets": [{"name": "x", "ra": 400, "dec": 0}]}, "targets"),
    ({"targets": "M 31"}, "targets"),
    ({"co_investigators": ["nobody"]}, "co_investigators"),
    ({"co_investigators": ["observer"]}, "co_investigators"),
    ({"status": "ACCEPTED"}, "status"),
])
def test_bad_api_bodies_are_400(people, body, field):
    answer = api(people["observer"]).post("/api/proposals/", proposal_body(**body),
                                          format="json")
    assert answer.status_code == 400
    assert field in answer.json()["problems"]
    assert not Proposal.objects.exists()


def test_bad_bodies_of_other_shapes_are_400(people):
    rest = api(people["observer"])
    for raw in ("[]", "null", "{", '"text"'):
        assert rest.post("/api/proposals/", raw, content_type="application/json"
                         ).status_code == 400
    proposal = propose(people["observer"])
    assert rest.patch(f"/api/proposals/{proposal.pk}/", {"requested_hours": {"VIS": -2}},
                      format="json").status_code == 400
    tac = api(people["tac"])
    for vote in ({"grade": 7}, {"grade": "x"}, {}, {"grade": 3, "extra": 1}):
        assert tac.post(f"/api/proposals/{proposal.pk}/votes/", vote,
                        format="json").status_code == 400
    assert api(people["pi"]).get("/api/proposals/?status=NOPE").status_code == 400


def test_bad_forms_show_errors(people):
    client = web(people["observer"])
    for fields, message in (
            ({"hours_VIS": "", "hours_NIR": ""}, "ask for some time"),
            ({"hours_VIS": "-3"}, "greater than or equal"),
            ({"targets": "M 31 ten 41"}, "line 1"),
            ({"co_investigators": "ghost"}, "no active user"),
            ({"title": ""}, "required")):
        data = {"title": "T", "abstract": "A", "hours_VIS": "1", **fields}
        answer = client.post("/proposals/new/", data)
        assert answer.status_code == 400 and message in answer.content.decode(), message
    assert not Proposal.objects.exists()

    proposal = propose(people["observer"])
    pi = web(people["pi"])
    for data, message in (({"decision": "accept"}, "needed to accept"),
                          ({"decision": "maybe"}, "Select a valid choice"),
                          ({"decision": "accept", "program_name": "GRB", "quota_hours": "5",
                            "priority": "5"}, "exists already"),
                          ({"decision": "accept", "program_name": "X", "quota_hours": "5",
                            "priority": "11"}, "less than or equal")):
        answer = pi.post(f"/proposals/{proposal.pk}/decide/", data)
        assert answer.status_code == 400 and message in answer.content.decode(), message
    assert web(people["tac"]).post(f"/proposals/{proposal.pk}/vote/",
                                   {"grade": "9"}).status_code == 400
    assert Proposal.objects.get(pk=proposal.pk).status == ProposalStatus.SUBMITTED


def test_openapi_schema_lists_the_proposal_endpoints(people):
    schema = api(people["pi"]).get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/proposals/", "/api/proposals/{id}/", "/api/proposals/{id}/votes/"} <= set(paths)
