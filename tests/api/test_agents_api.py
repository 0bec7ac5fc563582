"""The agents' REST API: liveness judged on the clock, log filters and incremental
polling, sending generic commands and following them, and who may do what."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from rest_framework.test import APIClient

from pyros.accounts.profiles import ProfileLevel
from pyros.agents.models import AgentLog, AgentSurvey, Command
from pyros.agents.notify import results_waiter
from pyros.agents.states import GENERIC_COMMANDS, CommandState
from tests.conftest import TEST_NOW, make_user

pytestmark = pytest.mark.django_db

AGENTS = "/api/agents/"
LOGS = "/api/agents/logs/"
NOW_JSON = "2026-11-21T12:00:00Z"


def send_url(name: str) -> str:
    return f"/api/agents/{name}/commands/"


def command_url(pk: int) -> str:
    return f"/api/agents/commands/{pk}/"


def survey(name: str = "agentA", computer: str = "tcs", *, beat_age: float = 0.0,
           **fields) -> AgentSurvey:
    """An agent that started an hour ago and beat ``beat_age`` seconds ago."""
    values = {"pid": 4242, "status": "RUNNING", "iteration": 42,
              "started_at": TEST_NOW - timedelta(hours=1),
              "last_beat": TEST_NOW - timedelta(seconds=beat_age), "validity": 5.0}
    values.update(fields)
    return AgentSurvey.objects.create(name=name, computer=computer, **values)


def log(agent: str, level: int, message: str, computer: str = "tcs") -> AgentLog:
    return AgentLog.objects.create(agent=agent, computer=computer, level=level,
                                   message=message, created_at=TEST_NOW)


@pytest.fixture(scope="module", autouse=True)
def _close_results_listener():
    """Waiting for a command listens (PostgreSQL) on a connection the bus keeps open
    for this thread; close it after these tests, so the test database can be dropped."""
    yield
    results_waiter().close()


@pytest.fixture
def operator(initial_data):
    return make_user("olga", ProfileLevel.OPERATOR)


@pytest.fixture
def operator_client(operator, login) -> APIClient:
    return login(operator)


@pytest.fixture
def logs() -> list[AgentLog]:
    """Five lines, one per level, from two agents (ids increase in this order)."""
    return [log("agentA", 10, "a debug"), log("agentB", 20, "b info"),
            log("agentA", 30, "a warning"), log("agentB", 40, "b error"),
            log("agentA", 50, "a critical")]


def messages(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [line["message"] for line in response.json()["logs"]]


# --- Who may do what ---------------------------------------------------------------------


def test_anonymous_calls_are_told_to_authenticate(initial_data):
    survey()
    anonymous = APIClient()
    for response in (anonymous.get(AGENTS), anonymous.get(LOGS),
                     anonymous.get(command_url(1)),
                     anonymous.post(send_url("agentA"), {"command": "ping"}, format="json")):
        assert response.status_code == 401
        assert "WWW-Authenticate" in response
    assert not Command.objects.exists()


@pytest.mark.parametrize(("level", "reads", "sends"), [
    (ProfileLevel.VISITOR, False, False),
    (ProfileLevel.TAC, False, False),
    (ProfileLevel.OBSERVER, False, False),
    (ProfileLevel.IE_IS, True, True),
    (ProfileLevel.OPERATOR, True, True),
    (ProfileLevel.SUPEROPERATOR, True, True),
    (ProfileLevel.PI, True, False),
    (ProfileLevel.SYSADMIN, True, True),
])
def test_rights_follow_the_matrix(initial_data, login, level, reads, sends):
    survey()
    client = login(make_user("someone", level))
    done = Command.objects.create(sender="cli", recipient="agentA", name="ping",
                                  state=CommandState.EXECUTED, created_at=TEST_NOW,
                                  expires_at=TEST_NOW, timeout=30)
    read_codes = {client.get(AGENTS).status_code, client.get(LOGS).status_code,
                  client.get(command_url(done.pk)).status_code}
    assert read_codes == ({200} if reads else {403})

    response = client.post(send_url("agentA"), {"command": "ping", "wait": 0}, format="json")
    assert response.status_code == (201 if sends else 403), response.content
    assert Command.objects.filter(name="ping", sender="web:someone").exists() == sends


def test_pi_reads_but_may_not_send(pi_user, login):
    survey()
    client = login(pi_user)
    assert [a["name"] for a in client.get(AGENTS).json()["agents"]] == ["agentA"]
    refused = client.post(send_url("agentA"), {"command": "get_status"}, format="json")
    assert refused.status_code == 403
    assert "may not send commands" in refused.json()["detail"]
    assert not Command.objects.exists()


# --- Agents ------------------------------------------------------------------------------


def test_agents_are_listed_alive_then_dead_when_their_beat_is_too_old(operator_client,
                                                                      simulated_clock):
    survey("agentB", "guitalens", beat_age=1.0, current_command=17, restarts=2,
           last_restart=TEST_NOW - timedelta(minutes=30), mode="IDLE")
    survey("agentA", "tcs")
    survey("agentC", "tcs", pid=None, status="EXITED")  # stopped cleanly: no pid

    body = operator_client.get(AGENTS).json()
    assert body["now"] == NOW_JSON
    assert [(a["name"], a["computer"]) for a in body["agents"]] == [
        ("agentA", "tcs"), ("agentB", "guitalens"), ("agentC", "tcs")]
    first, second, stopped = body["agents"]
    assert first == {
        "name": "agentA", "computer": "tcs", "pid": 4242, "mode": "ACTIVE",
        "status": "RUNNING", "iteration": 42, "started_at": "2026-11-21T11:00:00Z",
        "last_beat": NOW_JSON, "validity": 5.0, "restarts": 0, "last_restart": None,
        "current_command": None, "alive": True, "uptime_seconds": 3600.0}
    assert (second["alive"], second["mode"], second["current_command"]) == (True, "IDLE", 17)
    assert (second["restarts"], second["last_restart"]) == (2, "2026-11-21T11:30:00Z")
    assert (stopped["alive"], stopped["uptime_seconds"]) == (False, None)

    simulated_clock.advance(4.5)  # agentB's beat is now 5.5 s old, agentA's 4.5 s
    agents = {a["name"]: a for a in operator_client.get(AGENTS).json()["agents"]}
    assert (agents["agentA"]["alive"], agents["agentA"]["uptime_seconds"]) == (True, 3604.5)
    assert (agents["agentB"]["alive"], agents["agentB"]["uptime_seconds"]) == (False, None)

    simulated_clock.advance(1)
    body = operator_client.get(AGENTS).json()
    assert body["now"] == "2026-11-21T12:00:05.500000Z"
    assert [a["alive"] for a in body["agents"]] == [False, False, False]


def test_no_agent_yet_is_an_empty_list(operator_client):
    assert operator_client.get(AGENTS).json() == {"now": NOW_JSON, "agents": []}


# --- Logs --------------------------------------------------------------------------------


def test_logs_come_oldest_first_with_their_level(operator_client, logs):
    body = operator_client.get(LOGS).json()
    assert [line["message"] for line in body["logs"]] == [
        "a debug", "b info", "a warning", "b error", "a critical"]
    assert body["last_id"] == logs[-1].pk
    assert body["more"] is False
    assert body["logs"][2] == {"id": logs[2].pk, "agent": "agentA", "computer": "tcs",
                               "level": 30, "level_name": "WARNING", "message": "a warning",
                               "created_at": NOW_JSON}


@pytest.mark.parametrize("level", ["WARNING", "warning", "30", "25"])
def test_logs_filtered_by_minimum_level_by_name_or_number(operator_client, logs, level):
    assert messages(operator_client.get(LOGS, {"level": level})) == [
        "a warning", "b error", "a critical"]


def test_logs_filtered_by_agent_and_level_together(operator_client, logs):
    assert messages(operator_client.get(LOGS, {"agent": "agentA"})) == [
        "a debug", "a warning", "a critical"]
    assert messages(operator_client.get(LOGS, {"agent": "agentB", "level": "ERROR"})) == [
        "b error"]
    assert messages(operator_client.get(LOGS, {"agent": "nobody"})) == []


def test_polling_with_after_returns_only_new_lines(operator_client, logs):
    body = operator_client.get(LOGS, {"after": logs[2].pk}).json()
    assert [line["message"] for line in body["logs"]] == ["b error", "a critical"]
    last = body["last_id"]
    assert last == logs[-1].pk

    nothing = operator_client.get(LOGS, {"after": last}).json()
    assert nothing == {"last_id": last, "more": False, "logs": []}  # keeps its place

    newer = log("agentB", 20, "b later")
    body = operator_client.get(LOGS, {"after": last}).json()
    assert [line["message"] for line in body["logs"]] == ["b later"]
    assert body["last_id"] == newer.pk


def test_limit_without_after_gives_the_latest_lines(operator_client, logs):
    body = operator_client.get(LOGS, {"limit": 2}).json()
    assert [line["message"] for line in body["logs"]] == ["b error", "a critical"]
    assert body["more"] is False


def test_limit_with_after_says_more_follow_so_a_client_catches_up(operator_client, logs):
    first = operator_client.get(LOGS, {"after": 0, "limit": 2}).json()
    assert [line["message"] for line in first["logs"]] == ["a debug", "b info"]
    assert first["more"] is True
    second = operator_client.get(LOGS, {"after": first["last_id"], "limit": 2}).json()
    assert [line["message"] for line in second["logs"]] == ["a warning", "b error"]
    third = operator_client.get(LOGS, {"after": second["last_id"], "limit": 2}).json()
    assert ([line["message"] for line in third["logs"]], third["more"]) == (["a critical"],
                                                                           False)


def test_default_limit_is_200_and_the_maximum_1000(operator_client):
    AgentLog.objects.bulk_create(
        AgentLog(agent="agentA", level=20, message=f"line {i}", created_at=TEST_NOW)
        for i in range(1005))
    default = operator_client.get(LOGS).json()["logs"]
    assert len(default) == 200
    assert default[-1]["message"] == "line 1004"
    capped = operator_client.get(LOGS, {"limit": 5000, "after": 0}).json()
    assert (len(capped["logs"]), capped["more"]) == (1000, True)
    assert capped["logs"][0]["message"] == "line 0"


@pytest.mark.parametrize(("params", "complaint"), [
    ({"level": "LOUD"}, "unknown level 'LOUD'"),
    ({"after": "x"}, "after must be an integer"),
    ({"after": "-1"}, "after must be at least 0"),
    ({"limit": "0"}, "limit must be at least 1"),
])
def test_bad_log_filters_are_400(operator_client, params, complaint):
    response = operator_client.get(LOGS, params)
    assert response.status_code == 400
    assert complaint in response.json()["detail"]


# --- Commands ----------------------------------------------------------------------------


def test_sending_without_waiting_queues_a_pending_command(operator_client):
    survey()
    response = operator_client.post(send_url("agentA"), {
        "command": "set_mode", "args": {"mode": "IDLE"}, "wait": 0}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    command = Command.objects.get()
    assert response["Location"] == command_url(command.pk)
    assert (command.sender, command.recipient, command.name, command.args) == (
        "web:olga", "agentA", "set_mode", {"mode": "IDLE"})
    assert command.state == CommandState.PENDING
    assert body == {"id": command.pk, "name": "set_mode", "sender": "web:olga",
                    "recipient": "agentA", "args": {"mode": "IDLE"}, "state": "PENDING",
                    "done": False, "result": None, "error": "", "created_at": NOW_JSON,
                    "ended_at": None}


def test_a_wait_that_runs_out_answers_the_command_still_pending(operator_client):
    survey()
    started = time.monotonic()
    response = operator_client.post(send_url("agentA"), {"command": "ping", "wait": 0.3},
                                    format="json")
    assert time.monotonic() - started >= 0.3
    assert (response.status_code, response.json()["state"]) == (201, "PENDING")


@pytest.mark.django_db(transaction=True)
def test_the_answer_carries_the_result_when_the_agent_ends_in_time(initial_data, login):
    """A stand-in agent (another thread, another connection) ends it as an agent would,
    by updating its row."""
    survey()
    client = login(make_user("olga", ProfileLevel.OPERATOR))

    def stand_in_agent() -> None:
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                command = Command.objects.filter(recipient="agentA").first()
                if command is not None:
                    Command.objects.filter(pk=command.pk).update(
                        state=CommandState.EXECUTED, ended_at=TEST_NOW,
                        result={"agent": "agentA", "echo": command.args})
                    return
                time.sleep(0.02)
        finally:
            connection.close()

    agent = threading.Thread(target=stand_in_agent)
    agent.start()
    response = client.post(send_url("agentA"), {"command": "set_mode",
                                                "args": {"mode": "IDLE"}, "wait": 10},
                           format="json")
    agent.join()
    body = response.json()
    assert (response.status_code, body["state"], body["done"]) == (201, "EXECUTED", True)
    assert body["result"] == {"agent": "agentA", "echo": {"mode": "IDLE"}}
    assert body["ended_at"] == NOW_JSON


def test_an_ended_command_is_read_back_with_its_result(operator_client):
    finished = Command.objects.create(
        sender="web:olga", recipient="agentA", name="calc", args={"expression": "6*7"},
        state=CommandState.EXECUTED, created_at=TEST_NOW, expires_at=TEST_NOW,
        ended_at=TEST_NOW + timedelta(seconds=1), timeout=30, result=42)
    failed = Command.objects.create(
        sender="cli", recipient="agentA", name="set_mode", args={"mode": "SLEEPY"},
        state=CommandState.FAILED, created_at=TEST_NOW, expires_at=TEST_NOW, timeout=30,
        error="mode must be ACTIVE or IDLE, not 'SLEEPY'")

    body = operator_client.get(command_url(finished.pk)).json()
    assert (body["state"], body["done"], body["result"], body["error"]) == (
        "EXECUTED", True, 42, "")
    assert body["ended_at"] == "2026-11-21T12:00:01Z"
    body = operator_client.get(command_url(failed.pk)).json()
    assert (body["state"], body["done"], body["result"]) == ("FAILED", True, None)
    assert body["error"] == "mode must be ACTIVE or IDLE, not 'SLEEPY'"
    missing = operator_client.get(command_url(failed.pk + 100))
    assert missing.status_code == 404


def test_unknown_agent_is_404(operator_client):
    survey("agentA")
    response = operator_client.post(send_url("agentZ"), {"command": "ping"}, format="json")
    assert response.status_code == 404
    assert "no agent named 'agentZ'" in response.json()["detail"]
    assert not Command.objects.exists()


def test_specific_commands_are_refused_with_the_list_of_generic_ones(operator_client):
    survey()
    response = operator_client.post(send_url("agentA"), {"command": "do_exposure",
                                                         "args": {"seconds": 3}},
                                    format="json")
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "'do_exposure' is not a generic command" in detail
    assert all(name in detail for name in GENERIC_COMMANDS)
    assert not Command.objects.exists()


@pytest.mark.parametrize(("body", "complaint"), [
    ({"command": "ping", "wait": 11}, "wait: Input should be less than or equal to 10"),
    ({"command": "ping", "wait": -1}, "wait: Input should be greater than or equal to 0"),
    ({"command": "ping", "args": {"timeout": 1}}, "argument names not allowed: timeout"),
    ({"command": "ping", "args": [1]}, "args: Input should be a valid dictionary"),
    ({"command": "ping", "priority": 1}, "priority: Extra inputs are not permitted"),
    ({"command": "get_status", "args": {"verbose": True}},
     "bad arguments for get_status: verbose: Extra inputs are not permitted"),
    ({"command": "set_mode", "args": {"mode": "ASLEEP"}},
     "bad arguments for set_mode: mode: Input should be 'ACTIVE' or 'IDLE'"),
    ({"command": "calc", "args": {"expression": "1+" * 101}},
     "bad arguments for calc: expression: String should have at most 200 characters"),
    ({"args": {}}, "command: Field required"),
    (["ping"], "the body must be a JSON object"),
])
def test_bad_command_bodies_are_400(operator_client, body, complaint):
    survey()
    response = operator_client.post(send_url("agentA"), json.dumps(body),
                                    content_type="application/json")
    assert response.status_code == 400
    assert complaint in response.json()["detail"]
    assert not Command.objects.exists()


# --- Schema ------------------------------------------------------------------------------


def test_openapi_schema_describes_the_agent_endpoints(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = json.loads(response.content)["paths"]
    assert set(paths["/api/agents/"]) == {"get"}
    assert set(paths["/api/agents/logs/"]) == {"get"}
    assert set(paths["/api/agents/{name}/commands/"]) == {"post"}
    assert set(paths["/api/agents/commands/{id}/"]) == {"get"}
    send = paths["/api/agents/{name}/commands/"]["post"]
    assert set(send["responses"]) == {"201", "400", "401", "403", "404"}


def test_arguments_that_no_database_could_store_are_a_400(operator_client):
    survey("agentA")
    for raw in ('{"command": "ping", "args": {"x": 1e400}}',
                '{"command": "ping", "args": {"x": "\\ud800"}}'):
        response = operator_client.post(send_url("agentA"), raw,
                                         content_type="application/json")
        assert response.status_code == 400, raw
        assert "args.x" in response.json()["detail"]
    assert not Command.objects.exists()
