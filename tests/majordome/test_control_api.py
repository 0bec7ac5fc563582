"""The majordome's API: its state for everyone with the actions of the reader's profile,
the operator's actions (403 without the right, 409 with the reason when the state does
not allow it, 400 for an unknown one, CSRF for session users), the night log, and the
schema."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from pyros.agents.models import Command
from pyros.instruments.models import Mode, OperatingMode
from pyros.majordome.models import LogKind, NightLogEntry, ObservatoryControl
from pyros.majordome.states import State
from tests.conftest import TEST_NOW
from tests.majordome.test_control_pages import (
    RAIN,
    TONIGHT,
    require_night_ack,
    set_majordome,
    set_situation,
    users_of_every_profile,
)

pytestmark = pytest.mark.django_db

STATE = "/api/observatory/majordome/"
CONTROL = "/api/observatory/control/"
LOG = "/api/observatory/log/"


@pytest.fixture
def users(initial_data) -> dict:
    return users_of_every_profile()


def api(user=None, csrf: bool = False) -> APIClient:
    client = APIClient(enforce_csrf_checks=csrf)
    if user is not None:
        client.force_login(user)
    return client


def available(body: dict) -> list[str]:
    return [a["action"] for a in body["actions"] if a["available"]]


# --- The state --------------------------------------------------------------------------------


def test_everyone_reads_the_state_without_actions():
    set_situation(State.SCHEDULER_READY, locked=False, stopped=True, stopped_by="cli:olga",
                  stopped_at=TEST_NOW - timedelta(minutes=5))
    response = APIClient().get(STATE)
    assert response.status_code == 200
    assert response.json() == {
        "now": "2026-11-21T12:00:00Z", "state": "SCHEDULER_READY",
        "cause": "test: SCHEDULER_READY", "since": "2026-11-21T11:48:00Z", "phase": "NIGHT",
        "sun_altitude": -25.3, "why_not": ["no sequence of the plan is due now"], "work": "",
        "sequence": None, "fault": "", "decided_at": "2026-11-21T12:00:00Z", "running": True,
        "mode": "SCHEDULER", "safe": True,
        "switches": {
            "locked": {"on": False, "by": "", "at": None, "pending": ""},
            "bypass": {"on": False, "by": "", "at": None, "pending": ""},
            "stopped": {"on": True, "by": "cli:olga", "at": "2026-11-21T11:55:00Z",
                        "pending": ""},
            "night_ack": {"required": False, "given": True, "night": TONIGHT, "by": "",
                          "at": None}},
        "actions": []}


def test_the_state_says_when_the_majordome_is_not_running():
    body = APIClient().get(STATE).json()
    assert (body["state"], body["running"], body["decided_at"]) == ("STARTING", False, None)
    assert body["why_not"] == ["the majordome has not started"]
    set_situation(State.OBSERVING)
    set_majordome(State.OBSERVING, decided_at=TEST_NOW - timedelta(seconds=16))
    assert APIClient().get(STATE).json()["running"] is False


def test_each_profile_gets_its_actions_with_the_reasons(users):
    set_situation(State.STANDBY, safe=False)
    operator = api(users["operator"]).get(STATE).json()
    assert available(operator) == ["bypass", "go_remote", "stop"]
    lock = next(a for a in operator["actions"] if a["action"] == "lock")
    assert lock == {"action": "lock", "label": "LOCK OBSERVATORY",
                    "confirm": "Close and park, and stay closed until unlocked?",
                    "available": False,
                    "reason": "only offered when SAFE (unsafe, it closes by itself)"}
    engineer = api(users["engineer"]).get(STATE).json()
    assert [a["action"] for a in engineer["actions"]] == ["go_remote", "go_scheduler", "stop",
                                                          "resume"]
    assert api(users["observer"]).get(STATE).json()["actions"] == []


def test_the_night_ack_switch_says_who_gave_it(users, settings):
    require_night_ack(settings)
    set_situation(State.SCHEDULER_STANDBY)
    body = api(users["operator"]).get(STATE).json()
    assert body["switches"]["night_ack"] == {"required": True, "given": False,
                                             "night": TONIGHT, "by": "", "at": None}
    assert "night_ack" in available(body)
    response = api(users["operator"]).post(CONTROL, {"action": "night_ack"}, format="json")
    assert response.status_code == 200, response.content
    ack = response.json()["majordome"]["switches"]["night_ack"]
    assert ack == {"required": True, "given": True, "night": TONIGHT,
                   "by": "web:operator-user", "at": "2026-11-21T12:00:00Z"}
    assert ObservatoryControl.current().ack_night.isoformat() == TONIGHT


# --- The actions ---------------------------------------------------------------------------------


def test_a_lock_is_taken_logged_and_sent_to_the_majordome(users):
    set_situation(State.SCHEDULER_READY)
    response = api(users["operator"]).post(CONTROL, {"action": "lock"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["action"], body["message"]) == ("lock", "LOCK OBSERVATORY: done")
    assert body["majordome"]["switches"]["locked"] == {
        "on": True, "by": "web:operator-user", "at": "2026-11-21T12:00:00Z", "pending": ""}
    assert "lock" not in available(body["majordome"])
    assert ObservatoryControl.current().locked
    entry = NightLogEntry.objects.get()
    assert (entry.kind, entry.message) == (LogKind.OPERATOR,
                                           "LOCK OBSERVATORY by web:operator-user")
    command = Command.objects.get()
    assert (command.recipient, command.name, command.args) == (
        "majordome", "control_changed", {"action": "lock"})


def test_stop_and_resume_and_the_mode(users):
    set_situation(State.OBSERVING)
    client = api(users["engineer"])
    assert client.post(CONTROL, {"action": "STOP"}, format="json").status_code == 200
    assert ObservatoryControl.current().stopped
    assert client.post(CONTROL, {"action": "resume"}, format="json").status_code == 200
    assert not ObservatoryControl.current().stopped
    assert client.post(CONTROL, {"action": "go-remote"}, format="json").status_code == 200
    assert OperatingMode.current().mode == Mode.REMOTE
    assert [e.message for e in NightLogEntry.objects.all()] == [
        "STOP by web:engineer-user", "RESUME by web:engineer-user",
        "GO REMOTE by web:engineer-user"]
    assert Command.objects.filter(recipient="majordome", name="control_changed").count() == 3


def nothing_happened() -> None:
    assert not Command.objects.exists()
    assert not NightLogEntry.objects.exists()
    control = ObservatoryControl.current()
    assert not (control.locked or control.bypass or control.stopped)


def test_actions_need_a_login_and_the_right(users):
    set_situation(State.STANDBY, safe=False)
    assert api().post(CONTROL, {"action": "stop"}, format="json").status_code == 401
    response = api(users["observer"]).post(CONTROL, {"action": "stop"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == ("Your profile does not give access to the "
                                         "observatory's control.")
    response = api(users["engineer"]).post(CONTROL, {"action": "bypass"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "PLC BYPASS (set to SAFE): your profile may not do this"
    assert api(users["pi"]).post(CONTROL, {"action": "bypass"}, format="json").status_code == 403
    nothing_happened()


@pytest.mark.parametrize(("state", "safe", "switches", "action", "reason"), [
    (State.STANDBY, False, {}, "lock",
     "LOCK OBSERVATORY is not available now: only offered when SAFE (unsafe, it closes by "
     "itself)"),
    (State.SCHEDULER_READY, True, {"locked": True}, "unlock",
     "UNLOCK OBSERVATORY is not available now: offered once the observatory is closed in "
     "STANDBY"),
    (State.SCHEDULER_READY, True, {}, "resume",
     "RESUME is not available now: nothing to resume"),
    (State.OPENING, True, {}, "go_remote", "GO REMOTE is not available now: not offered in "
                                           "OPENING"),
], ids=["lock when unsafe", "unlock when not in STANDBY", "resume when running",
        "remote while opening"])
def test_an_action_the_state_does_not_allow_is_refused_with_409(
        users, state, safe, switches, action, reason):
    set_situation(state, safe=safe, **switches)
    before = ObservatoryControl.current().locked
    response = api(users["operator"]).post(CONTROL, {"action": action}, format="json")
    assert response.status_code == 409
    assert response.json()["detail"] == reason
    assert not Command.objects.exists() and not NightLogEntry.objects.exists()
    assert ObservatoryControl.current().locked == before


@pytest.mark.parametrize(("body", "problem"), [
    ({"action": "open_dome"},
     "'open_dome' is not an action (actions: bypass, stop_bypass, lock, unlock, go_remote, "
     "go_scheduler, stop, resume, night_ack)"),
    ({}, "action: Field required"),
    ({"action": "lock", "force": True}, "force: Extra inputs are not permitted"),
    (["lock"], "the body must be a JSON object"),
], ids=["unknown", "missing", "extra", "not an object"])
def test_a_bad_body_is_refused_with_400(users, body, problem):
    set_situation(State.SCHEDULER_READY)
    response = api(users["operator"]).post(CONTROL, body, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == problem
    nothing_happened()


def test_a_session_user_needs_the_csrf_token(users):
    set_situation(State.SCHEDULER_READY)
    response = api(users["operator"], csrf=True).post(CONTROL, {"action": "lock"},
                                                      format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    nothing_happened()


# --- The night log -------------------------------------------------------------------------------


def test_the_night_log_by_night_and_kind():
    first = NightLogEntry.objects.create(time=TEST_NOW - timedelta(hours=6), night=TONIGHT,
                                         kind=LogKind.SAFETY, message=f"unsafe: {RAIN}",
                                         detail={"status": "RAINING"})
    second = NightLogEntry.objects.create(time=TEST_NOW - timedelta(hours=5), night=TONIGHT,
                                          kind=LogKind.STATE, message="STANDBY: unsafe")
    NightLogEntry.objects.create(time=TEST_NOW - timedelta(days=1), night="2026-11-19",
                                 kind=LogKind.STATE, message="yesterday")
    body = APIClient().get(LOG).json()
    assert (body["night"], body["kind"], body["truncated"]) == (TONIGHT, None, False)
    assert [e["id"] for e in body["entries"]] == [second.pk, first.pk]  # newest first
    assert body["entries"][1] == {
        "id": first.pk, "time": "2026-11-21T06:00:00Z", "night": TONIGHT, "kind": "SAFETY",
        "message": f"unsafe: {RAIN}", "detail": {"status": "RAINING"}, "sequence_id": None}
    only = APIClient().get(LOG, {"kind": "state"}).json()
    assert (only["kind"], [e["id"] for e in only["entries"]]) == ("STATE", [second.pk])
    yesterday = APIClient().get(LOG, {"night": "2026-11-19"}).json()
    assert [e["message"] for e in yesterday["entries"]] == ["yesterday"]


@pytest.mark.parametrize(("query", "problem"), [
    ({"night": "21/11/2026"},
     "night must be a date YYYY-MM-DD (the date of its evening), not '21/11/2026'"),
    ({"kind": "gossip"},
     "kind must be one of STATE, SEQUENCE, CALIBRATION, SAFETY, OPERATOR, DEVICE, PLAN, NIGHT, "
     "not 'gossip'"),
])
def test_a_bad_log_query_is_refused_with_400(query, problem):
    response = APIClient().get(LOG, query)
    assert response.status_code == 400
    assert response.json()["detail"] == problem


# --- The schema ----------------------------------------------------------------------------------


def test_the_schema_describes_the_endpoints_and_validates(client, capsys):
    schema = json.loads(client.get("/api/schema/",
                                   HTTP_ACCEPT="application/vnd.oai.openapi+json").content)
    paths = schema["paths"]
    assert paths["/api/observatory/majordome/"]["get"]["operationId"] == "observatory_majordome"
    control = paths["/api/observatory/control/"]["post"]
    assert set(control["responses"]) == {"200", "400", "401", "403", "409"}
    log = paths["/api/observatory/log/"]["get"]
    assert {p["name"] for p in log["parameters"]} == {"night", "kind"}
    majordome = schema["components"]["schemas"]["MajordomeOut"]
    assert {"state", "why_not", "running", "switches", "actions"} <= set(majordome["required"])
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
    assert "Warning" not in capsys.readouterr().err
