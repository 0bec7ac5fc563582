"""The guide's whole workflow, as one person after another does it, every mail read from
a real SMTP server on 127.0.0.1: a newcomer registers, the PI activates the account from
the mailed link, the newcomer proposes for the next period, two TAC members vote, the PI
accepts; the new program's PI submits a request in it, a sequence of it is executed and
charged, and the Programs API shows the time used and left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from rest_framework.test import APIClient

from pyros.accounts.models import User
from pyros.accounts.profiles import ProfileLevel
from pyros.mail.models import OutgoingMail
from pyros.observations import json_format
from pyros.observations import store as requests_store
from pyros.programs.accounting import charge_execution
from pyros.programs.models import ScientificProgram
from pyros.proposals.models import Proposal
from tests.conftest import make_user, request_dict
from tests.people.conftest import PASSWORD, REGISTRATION, links
from tests.people.test_smtp import body, smtp  # noqa: F401

pytestmark = pytest.mark.django_db

#: Inside 2027A, the period the call open at the tests' "now" (2026-11-21) is for.
NIGHT = datetime(2027, 2, 10, 4, 0, tzinfo=UTC)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_register_activate_propose_vote_allocate_request_and_use_the_time(
        smtp, initial_data, django_capture_on_commit_callbacks):  # noqa: F811
    pi = make_user("paula", ProfileLevel.PI)
    tac = [make_user(name, ProfileLevel.TAC) for name in ("tom", "tina")]
    inbox = smtp.inbox

    # 1. Carol registers; she and the PI are mailed.
    with django_capture_on_commit_callbacks(execute=True):
        assert Client().post("/register/", REGISTRATION).status_code == 302
    assert not Client().login(username="carol", password=PASSWORD)  # not yet active
    (to_pi,) = inbox.to(pi.email)
    (activation,) = [p for p in links(body(to_pi)) if p.startswith("/users/activate/")]

    # 2. The PI activates her from the mailed link; she is mailed and may log in.
    with django_capture_on_commit_callbacks(execute=True):
        assert logged_in(pi).post(activation).status_code == 200
    assert any("is active" in m["Subject"] for m in inbox.to("carol@example.org"))
    carol_web = Client()
    assert carol_web.login(username="carol", password=PASSWORD)
    carol = User.objects.get(username="carol")

    # 3. She proposes for the next period and submits.
    answer = carol_web.post("/proposals/new/", {
        "title": "Near-Earth asteroids", "abstract": "Astrometry of new NEOs.",
        "hours_VIS": "6", "hours_NIR": "0", "targets": "Apophis 150.0 10.0",
        "co_investigators": "", "save": ""})
    assert answer.status_code == 302, answer.content.decode()
    proposal = Proposal.objects.get(title="Near-Earth asteroids")
    assert carol_web.post(f"/proposals/{proposal.pk}/submit/").status_code == 302

    # 4. The TAC votes; 5. the PI accepts with 6 hours.
    for member, grade in zip(tac, (5, 4), strict=True):
        assert logged_in(member).post(f"/proposals/{proposal.pk}/vote/",
                                      {"grade": grade, "comment": "ok"}).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        answer = logged_in(pi).post(f"/proposals/{proposal.pk}/decide/", {
            "decision": "accept", "program_name": "NEO", "quota_hours": "6",
            "priority": "5", "comment": "Go."})
    assert answer.status_code == 302, answer.content.decode()
    program = ScientificProgram.objects.get(name="NEO")
    assert program.pi == carol
    assert any("accepted" in m["Subject"] for m in inbox.to("carol@example.org"))

    # 6. Carol submits a request in her program, inside the period.
    data = request_dict(name="NEO follow-up", scientific_program="NEO", submitted=True)
    for sequence in data["sequences"]:
        sequence["start"] = "2027-02-10T00:00:00Z"
        sequence["end"] = "2027-02-11T00:00:00Z"
    request = requests_store.create_request(json_format.spec_from_data(data), carol)
    sequence = request.sequences.first()

    # 7. A sequence of it is executed: its program is charged; the API shows it.
    charge_execution(sequence_id=sequence.pk, start=NIGHT,
                     end=NIGHT + timedelta(minutes=30), images=[], slew=None,
                     outcome="EXECUTED")
    api = APIClient()
    api.force_authenticate(carol)
    figures = api.get(f"/api/programs/{program.pk}/").json()
    (period,) = figures["periods"]
    assert period["period"] == "2027A" and period["allocated_h"] == 6.0
    assert period["used_h"] == 0.5 and period["remaining_h"] == 5.5
    assert figures["charges"][0]["sequence"] == sequence.pk

    # Every mail of the workflow went out through the SMTP server.
    assert not OutgoingMail.objects.filter(sent_at__isnull=True).exists()
