"""The whole workflow on the web pages: an observer proposes with a co-investigator,
the TAC votes, the PI accepts; the program, its allocation and the mails exist. Then
the program's PI manages its members; rejection; votes changed until the decision."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from pyros.programs.models import Allocation, ScientificProgram
from pyros.proposals.models import Call, Proposal, ProposalStatus, Vote
from tests.proposals.conftest import PERIOD, propose, web

pytestmark = pytest.mark.django_db


def test_observer_proposes_tac_votes_pi_accepts(people, queued_mails):
    alice, carol = people["observer"], people["carol"]
    page = web(alice).post("/proposals/new/", {
        "title": "Kilonovae", "abstract": "Counterparts of neutron-star mergers.",
        "hours_VIS": "10", "hours_NIR": "2.5",
        "targets": "NGC 4993 197.4488 -23.3839\nM 31, 10.6847, 41.269",
        "co_investigators": "carol", "save": ""})
    assert page.status_code == 302, page.content.decode()
    proposal = Proposal.objects.get(title="Kilonovae")
    assert proposal.status == ProposalStatus.DRAFT
    assert proposal.call.period.name == PERIOD
    assert proposal.requested_hours == {"VIS": 10.0, "NIR": 2.5}
    assert [t.name for t in proposal.targets.all()] == ["NGC 4993", "M 31"]
    assert list(proposal.co_investigators.all()) == [carol]

    assert web(alice).post(f"/proposals/{proposal.pk}/submit/").status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.SUBMITTED

    for member, grade in (("tac", 5), ("tac2", 4)):
        answer = web(people[member]).post(f"/proposals/{proposal.pk}/vote/",
                                          {"grade": grade, "comment": "fine"})
        assert answer.status_code == 302
    assert Vote.objects.filter(proposal=proposal).count() == 2

    decide = web(people["pi"]).get(f"/proposals/{proposal.pk}/decide/")
    assert decide.status_code == 200 and "mean grade 4.50" in decide.content.decode()
    answer = web(people["pi"]).post(f"/proposals/{proposal.pk}/decide/", {
        "decision": "accept", "program_name": "KN", "quota_hours": "8.5", "priority": "7",
        "comment": "Well argued."})
    assert answer.status_code == 302, answer.content.decode()

    proposal.refresh_from_db()
    program = ScientificProgram.objects.get(name="KN")
    assert proposal.status == ProposalStatus.ACCEPTED and proposal.program == program
    assert program.pi == alice and program.priority == 7
    assert list(program.members.all()) == [carol]
    allocation = Allocation.objects.get(program=program)
    assert allocation.period.name == PERIOD and allocation.quota_hours == Decimal("8.5")
    assert sorted(m.to[0] for m in queued_mails) == ["carol@example.org", "observer@example.org"]
    assert all("accepted" in m.subject and "8.50 hours" in m.body and "Well argued." in m.body
               for m in queued_mails)

    # The proposers see the votes now, without the voters' names.
    seen = web(alice).get(f"/proposals/{proposal.pk}/").content.decode()
    assert "Votes" in seen and "tac2" not in seen
    # The new program may be used by its PI and members for requests.
    from pyros.observations.access import member_programs
    assert program in member_programs(alice) and program in member_programs(carol)


def test_program_pi_adds_and_removes_members(people, queued_mails):
    alice, carol, bob = people["observer"], people["carol"], people["observer2"]
    program = ScientificProgram.objects.create(name="SN", pi=alice)
    program.members.add(carol)
    client = web(alice)
    assert client.post(f"/proposals/programs/{program.pk}/members/add/",
                       {"username": "observer2"}).status_code == 302
    assert client.post(f"/proposals/programs/{program.pk}/members/{carol.pk}/remove/"
                       ).status_code == 302
    assert list(program.members.all()) == [bob]
    assert [(m.to[0], "no longer" in m.subject) for m in queued_mails] == [
        ("observer2@example.org", False), ("carol@example.org", True)]
    page = client.get(f"/proposals/programs/{program.pk}/")
    assert page.status_code == 200 and "Add a member" in page.content.decode()
    # Adding someone unknown, or twice: form errors, nothing mailed.
    for name in ("nobody", "observer2"):
        answer = client.post(f"/proposals/programs/{program.pk}/members/add/",
                             {"username": name})
        assert answer.status_code == 400 and "errorlist" in answer.content.decode()
    assert len(queued_mails) == 2


def test_reject_mails_proposer_and_co_investigators(people, queued_mails):
    proposal = propose(people["observer"], co_investigators=["carol"])
    answer = web(people["sysadmin"]).post(f"/proposals/{proposal.pk}/decide/", {
        "decision": "reject", "comment": "Not feasible from this site."})
    assert answer.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.REJECTED and proposal.program is None
    assert len(queued_mails) == 2
    assert all("not accepted" in m.subject and "Not feasible" in m.body for m in queued_mails)
    # Decided: no second decision, no vote.
    assert web(people["pi"]).get(f"/proposals/{proposal.pk}/decide/").status_code == 400
    assert web(people["tac"]).post(f"/proposals/{proposal.pk}/vote/",
                                   {"grade": 3}).status_code == 400


def test_a_vote_is_changed_until_the_decision(people):
    proposal = propose(people["observer"])
    client = web(people["tac"])
    client.post(f"/proposals/{proposal.pk}/vote/", {"grade": 2, "comment": "weak"})
    client.post(f"/proposals/{proposal.pk}/vote/", {"grade": 4, "comment": "on reflection"})
    vote = Vote.objects.get(proposal=proposal)
    assert (vote.grade, vote.comment) == (4, "on reflection")
    page = client.get(f"/proposals/{proposal.pk}/").content.decode()
    assert "Change your vote" in page and re.search(r"<td>tac</td><td>4</td>", page)


def test_pyros_init_opens_the_next_call_once(initial_data):
    call = Call.objects.get(period__name=PERIOD)
    assert (call.opens.isoformat(), call.deadline.isoformat()) == (
        "2026-07-01T00:00:00+00:00", "2026-12-01T00:00:00+00:00")
    from pyros.initial_data import load_initial_data
    from tests.conftest import TEST_NOW
    again = load_initial_data(now=TEST_NOW)
    assert not [c for c in again.created if c.startswith("call")]
    assert Call.objects.count() == 1


def test_a_mail_server_down_never_undoes_the_decision(people, monkeypatch,
                                                       django_capture_on_commit_callbacks):
    import smtplib

    from pyros.mail.models import OutgoingMail

    def down(*args, **kwargs):
        raise smtplib.SMTPConnectError(421, "down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", down)
    proposal = propose(people["observer"])
    with django_capture_on_commit_callbacks(execute=True):
        answer = web(people["pi"]).post(f"/proposals/{proposal.pk}/decide/", {
            "decision": "accept", "program_name": "Still", "quota_hours": "1",
            "priority": "3"})
    assert answer.status_code == 302
    assert ScientificProgram.objects.get(name="Still").pi == people["observer"]
    # Kept in the outbox with the server's answer, to be sent again.
    waiting = OutgoingMail.objects.get(to=people["observer"].email)
    assert waiting.sent_at is None and "down" in waiting.last_error
