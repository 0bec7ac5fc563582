"""Rights per profile on every proposal page and API endpoint (the matrix through
``proposals.access``), and at object level: an observer never sees another's proposal
unless a co-investigator of it, by any path."""

from __future__ import annotations

import pytest

from pyros.programs.models import ScientificProgram
from pyros.proposals.models import Proposal
from tests.proposals.conftest import api, proposal_body, propose, web

pytestmark = pytest.mark.django_db

PROFILES = ["visitor", "tac", "observer", "engineer", "operator", "superoperator", "pi",
            "sysadmin"]
#: "proposals" READ: every profile but Visitor and Operator
READERS = {"tac", "observer", "engineer", "superoperator", "pi", "sysadmin"}
CREATORS = {"observer", "engineer", "superoperator", "pi", "sysadmin"}
ALL_SEERS = {"tac", "pi", "sysadmin"}
DECIDERS = {"pi", "sysadmin"}


@pytest.fixture
def theirs(people) -> Proposal:
    """A submitted proposal of observer2's, carol its co-investigator."""
    return propose(people["observer2"], co_investigators=["carol"])


@pytest.mark.parametrize("profile", PROFILES)
def test_list_and_create_pages(people, profile):
    client = web(people[profile])
    assert client.get("/proposals/").status_code == (200 if profile in READERS else 403)
    expected = 200 if profile in CREATORS else 403
    assert client.get("/proposals/new/").status_code == expected
    home = client.get("/").content.decode()
    assert ('href="/proposals/"' in home) == (profile in READERS)


@pytest.mark.parametrize("profile", PROFILES)
def test_someone_elses_proposal(people, theirs, profile):
    """Seen by those who see all, 404 for the others; changed by nobody but its
    proposer; voted by the TAC only; decided by the PI and SysAdmin only."""
    client, pk = web(people[profile]), theirs.pk
    seen = profile in ALL_SEERS
    hidden = 403 if profile not in READERS else 404
    assert client.get(f"/proposals/{pk}/").status_code == (200 if seen else hidden)
    assert client.get(f"/proposals/{pk}/edit/").status_code == (403 if seen else hidden)
    assert client.post(f"/proposals/{pk}/submit/").status_code == (403 if seen else hidden)
    assert client.post(f"/proposals/{pk}/vote/", {"grade": 3}).status_code == (
        (302 if profile == "tac" else 403) if seen else hidden)
    assert client.get(f"/proposals/{pk}/decide/").status_code == (
        (200 if profile in DECIDERS else 403) if seen else hidden)
    assert client.get(f"/proposals/{pk}/delete/").status_code == (
        (200 if profile in DECIDERS else 403) if seen else hidden)

    rest = api(people[profile])
    assert rest.get(f"/api/proposals/{pk}/").status_code == (200 if seen else hidden)
    assert rest.patch(f"/api/proposals/{pk}/", {"title": "mine now"},
                      format="json").status_code == (403 if seen else hidden)
    assert rest.post(f"/api/proposals/{pk}/votes/", {"grade": 3}, format="json"
                     ).status_code == ((200 if profile == "tac" else 403) if seen else hidden)
    count = rest.get("/api/proposals/")
    if profile in READERS:
        assert count.json()["count"] == (1 if seen else 0)
    else:
        assert count.status_code == 403
    assert Proposal.objects.get(pk=pk).title == proposal_body()["title"]


def test_co_investigator_reads_but_does_not_change(people, theirs):
    carol = people["carol"]
    assert web(carol).get(f"/proposals/{theirs.pk}/").status_code == 200
    assert web(carol).get(f"/proposals/{theirs.pk}/edit/").status_code == 403
    assert web(carol).get(f"/proposals/{theirs.pk}/delete/").status_code == 403
    assert api(carol).delete(f"/api/proposals/{theirs.pk}/").status_code == 403
    assert [p["id"] for p in api(carol).get("/api/proposals/").json()["results"]] == [
        theirs.pk]


def test_anonymous_is_sent_to_log_in(theirs):
    for url in ("/proposals/", "/proposals/new/", f"/proposals/{theirs.pk}/",
                f"/proposals/programs/{ScientificProgram.objects.get(name='GRB').pk}/"):
        answer = web(None).get(url)
        assert answer.status_code == 302 and "/login/" in answer["Location"]
    assert api(None).get("/api/proposals/").status_code in (401, 403)


def test_who_sees_the_votes(people, theirs):
    web(people["tac"]).post(f"/proposals/{theirs.pk}/vote/", {"grade": 2, "comment": "meh"})
    body = api(people["observer2"]).get(f"/api/proposals/{theirs.pk}/").json()
    assert body["votes"] is None  # undecided: not even the proposer
    assert api(people["tac2"]).get(f"/api/proposals/{theirs.pk}/").json()["votes"][0][
        "voter"] == "tac"
    web(people["pi"]).post(f"/proposals/{theirs.pk}/decide/", {"decision": "reject"})
    for name in ("observer2", "carol"):
        votes = api(people[name]).get(f"/api/proposals/{theirs.pk}/").json()["votes"]
        assert votes == [{"voter": None, "grade": 2, "comment": "meh",
                          "updated_at": votes[0]["updated_at"]}]


@pytest.mark.parametrize("profile", PROFILES)
def test_program_page(people, profile):
    """Its PI and the PI/SysAdmin profiles manage members; members read; others 404."""
    program = ScientificProgram.objects.create(name="Flares", pi=people["observer2"])
    program.members.add(people["carol"])
    client = web(people[profile])
    manages = profile in DECIDERS
    assert client.get(f"/proposals/programs/{program.pk}/").status_code == (
        200 if manages else 404)
    assert client.post(f"/proposals/programs/{program.pk}/members/add/",
                       {"username": "observer"}).status_code == (302 if manages else 404)
    member = web(people["carol"])
    assert member.get(f"/proposals/programs/{program.pk}/").status_code == 200
    assert member.post(f"/proposals/programs/{program.pk}/members/add/",
                       {"username": "tac"}).status_code == 403


def test_call_dates_are_the_pis(people):
    from pyros.proposals.models import Call
    call = Call.objects.get()
    for profile in PROFILES:
        expected = {"visitor": 403, "operator": 403}.get(
            profile, 200 if profile in DECIDERS else 403)
        assert web(people[profile]).get(f"/proposals/calls/{call.pk}/edit/"
                                        ).status_code == expected
    answer = web(people["pi"]).post(f"/proposals/calls/{call.pk}/edit/", {
        "opens": "2026-07-01 00:00", "deadline": "2026-12-15 12:00"})
    assert answer.status_code == 302
    call.refresh_from_db()
    assert call.deadline.isoformat() == "2026-12-15T12:00:00+00:00"
    bad = web(people["pi"]).post(f"/proposals/calls/{call.pk}/edit/", {
        "opens": "2026-07-01 00:00", "deadline": "2026-06-01 00:00"})
    assert bad.status_code == 400 and "comes after" in bad.content.decode()
