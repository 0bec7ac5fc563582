"""The scheduling API: tonight's plan with its entries' statuses and the reasons of the
sequences left out, the history newest first, one plan, and the planning of a
simulation file, which anyone logged in may queue as a job and which stores no plan.

The helpers here (a planned night from submitted requests) serve the page tests too."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from pyros.config.loader import active_config
from pyros.jobs.runner import run_queued
from pyros.observations import json_format
from pyros.observations import store as requests_store
from pyros.observations.lifecycle import SequenceStatus
from pyros.observations.models import Sequence
from pyros.scheduling import store
from pyros.scheduling.api import schedule_payload
from pyros.scheduling.models import Schedule, Trigger
from pyros.scheduling.planner import make_plan
from tests.conftest import OBSERVER_PASSWORD, request_dict

pytestmark = pytest.mark.django_db

#: Before tonight's dark time at San Pedro Mártir (01:36–13:19 UTC): a whole night to plan.
AFTERNOON = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)
#: The middle of that night, when the pages are looked at.
MIDNIGHT = datetime(2026, 11, 22, 7, 0, tzinfo=UTC)
NIGHT = date(2026, 11, 21)

CURRENT = "/api/schedule/current/"
HISTORY = "/api/schedule/"
SIMULATE = "/api/schedule/simulate/"


def sequence(name: str, ra: float, dec: float, *, minutes: int = 30, priority: int = 5) -> dict:
    return {"name": name, "target": name, "ra": ra, "dec": dec,
            "start": "2026-11-22T00:00:00Z", "end": "2026-11-23T00:00:00Z",
            "duration": minutes * 60, "priority": priority, "obs_type": "BESTELEV",
            "max_airmass": 2.0,
            "albums": [{"name": "vis", "detector": "Visible camera",
                        "plans": [{"name": "r", "filter": "r", "exposure": 30,
                                   "nb_images": 2}]}]}


def submit(owner, *sequences: dict, name: str = "tonight"):
    spec = json_format.spec_from_data(request_dict(name=name, submitted=True,
                                                   sequences=list(sequences)))
    return requests_store.create_request(spec, owner)


def plan_tonight(*, trigger: Trigger = Trigger.OPERATOR, detail: str = "test",
                 now: datetime = AFTERNOON) -> Schedule:
    """Plan the waiting sequences as the scheduler agent would, and save the plan."""
    problem = store.build_problem(active_config(), now=now)
    result = make_plan(problem, engine="fast")
    return store.save_plan(problem, result, trigger=trigger, detail=detail, now=now)


def a_planned_night(owner) -> Schedule:
    """M31, M33 and M74 planned, the first executed and the second executing; the south
    pole (never above airmass 2 here) left out."""
    submit(owner, sequence("M31", 10.68, 41.27, priority=8), sequence("M33", 23.46, 30.66),
           sequence("M74", 24.17, 15.78, priority=3), sequence("south pole", 0.0, -89.0))
    schedule = plan_tonight()
    Sequence.objects.filter(target_name="M31").update(status=SequenceStatus.EXECUTED)
    Sequence.objects.filter(target_name="M33").update(status=SequenceStatus.EXECUTING)
    return schedule


def simulation_file(**overrides) -> dict:
    data = {
        "site": {"lat": 31.04, "lon": -115.46, "elevation_m": 2790, "horizon_deg": 20},
        "night": "2026-11-21",
        "overheads": {"fixed_s": 60},
        "sequences": [
            {"id": "m31", "ra": 10.68, "dec": 41.27, "duration_s": 1800, "priority": 5},
            {"id": "orion", "ra": 83.82, "dec": -5.39, "duration_s": 1200, "priority": 8},
            {"id": "pole", "ra": 0.0, "dec": -89.0, "duration_s": 600, "priority": 3},
        ],
    }
    data.update(overrides)
    return data


@pytest.fixture
def midnight(simulated_clock):
    simulated_clock.set(AFTERNOON)
    return simulated_clock


def get(url: str, client: APIClient | None = None, **params: object) -> dict:
    response = (client or APIClient()).get(url, params)
    assert response.status_code == 200, response.content
    return response.json()


# --- Tonight's plan, the history, one plan ----------------------------------------------


def test_tonights_plan_has_the_documented_keys(observer, midnight):
    schedule = a_planned_night(observer)
    midnight.set(MIDNIGHT)
    body = get(CURRENT)
    assert body == schedule_payload(schedule)
    assert {"id", "night", "created_at", "trigger", "detail", "engine", "objective", "bound",
            "proven_optimal", "elapsed", "dark_start", "dark_end", "entries",
            "unplanned"} <= set(body)
    assert (body["id"], body["night"], body["trigger"], body["detail"], body["engine"]) == (
        schedule.pk, "2026-11-21", "OPERATOR", "test", "fast")
    assert body["created_at"] == "2026-11-22T00:00:00Z"
    assert body["dark_start"].startswith("2026-11-22T01:36")
    entries = {e["name"]: e for e in body["entries"]}
    assert set(entries) == {"M31", "M33", "M74"}
    m31 = entries["M31"]
    assert {"sequence", "name", "request", "priority", "status", "start", "end"} <= set(m31)
    assert (m31["priority"], m31["status"]) == (8, "EXECUTED")
    assert entries["M33"]["status"] == "EXECUTING"
    assert entries["M74"]["status"] == "PLANNED"
    assert m31["start"] < m31["end"] and m31["start"].endswith("Z")
    starts = [e["start"] for e in body["entries"]]
    assert starts == sorted(starts)
    [pole] = body["unplanned"]
    assert {"sequence", "name", "reason"} <= set(pole)
    assert pole["name"] == "south pole" and "never observable" in pole["reason"]
    assert 0 < body["quality"] <= 1 and body["objective"] <= body["bound"]


def test_without_a_plan_for_tonight_the_answer_is_404_and_says_why(observer, midnight):
    response = APIClient().get(CURRENT)
    assert response.status_code == 404
    assert response.json() == {"detail": "no plan for tonight (the night of 2026-11-21) yet: "
                                         "is the scheduler agent running (pyros start "
                                         "scheduler)?"}
    plan_tonight()
    midnight.set(AFTERNOON + timedelta(days=1))  # the next night has no plan yet
    assert APIClient().get(CURRENT).status_code == 404


def test_the_history_is_newest_first_without_entries(observer, midnight):
    submit(observer, sequence("M31", 10.68, 41.27))
    first = plan_tonight(trigger=Trigger.START_OF_NIGHT, detail="night of 2026-11-21")
    submit(observer, sequence("M33", 23.46, 30.66), name="second")
    second = plan_tonight(trigger=Trigger.NEW_SEQUENCES, detail="a request was submitted",
                          now=AFTERNOON + timedelta(minutes=5))
    body = get(HISTORY)
    assert (body["count"], body["limit"], body["offset"]) == (2, 50, 0)
    assert [s["id"] for s in body["schedules"]] == [second.pk, first.pk]
    latest = body["schedules"][0]
    assert "entries" not in latest
    assert (latest["trigger"], latest["trigger_label"], latest["detail"]) == (
        "NEW_SEQUENCES", "New or cancelled sequences", "a request was submitted")
    assert (latest["planned_count"], latest["unplanned_count"]) == (2, 0)
    assert body["schedules"][1]["planned_count"] == 1
    paged = get(HISTORY, limit=1, offset=1)
    assert [s["id"] for s in paged["schedules"]] == [first.pk] and paged["count"] == 2
    assert get(HISTORY, night="2026-11-22")["count"] == 0
    assert APIClient().get(HISTORY, {"limit": 0}).status_code == 400
    assert APIClient().get(HISTORY, {"night": "yesterday"}).json() == {
        "detail": "night must be a date YYYY-MM-DD, not 'yesterday'"}


def test_one_plan_by_its_id(observer, midnight):
    schedule = a_planned_night(observer)
    body = get(f"/api/schedule/{schedule.pk}/")
    assert body["id"] == schedule.pk and len(body["entries"]) == 3
    missing = APIClient().get(f"/api/schedule/{schedule.pk + 1}/")
    assert missing.status_code == 404
    assert missing.json() == {"detail": f"no plan #{schedule.pk + 1}"}


@pytest.mark.parametrize("url", [CURRENT, HISTORY, "/api/schedule/1/"])
def test_the_plans_are_read_only(url):
    assert APIClient().post(url, {}, format="json").status_code in (401, 403, 405)
    assert APIClient().delete(url).status_code in (401, 403, 405)


# --- Simulation --------------------------------------------------------------------------


@pytest.fixture
def observer_client(observer) -> APIClient:
    client = APIClient()
    assert client.login(username=observer.username, password=OBSERVER_PASSWORD)
    return client


def simulated(client: APIClient, url: str, body: object) -> dict:
    """Queue a simulation, run it as the job runner would, and read its result."""
    response = client.post(url, body, format="json")
    assert response.status_code == 202, response.content
    accepted = response.json()
    assert accepted["state"] == "QUEUED"
    assert response["Location"] == accepted["url"] == f"/api/jobs/{accepted['id']}/"
    assert run_queued() == 1
    job = get(accepted["url"], client)
    assert job["state"] == "DONE", job
    assert job["progress"] == 1.0
    return job["result"]


def test_a_simulation_is_planned_and_stores_nothing(observer_client):
    body = simulated(observer_client, f"{SIMULATE}?engine=fast", simulation_file())
    assert set(body) == {"plan", "unplanned", "objective", "bound", "elapsed_s", "engine",
                         "proven_optimal"}
    assert body["engine"] == "fast"
    assert {p["id"] for p in body["plan"]} == {"m31", "orion"}
    assert [u["id"] for u in body["unplanned"]] == ["pole"]
    assert body["objective"] == 5 * 1800 + 8 * 1200
    assert not Schedule.objects.exists()


def test_the_engine_and_time_limit_may_come_in_the_body(observer_client):
    body = simulation_file(engine="optimal", time_limit=1.5)
    assert simulated(observer_client, SIMULATE, body)["engine"] == "optimal"


@pytest.mark.parametrize(("data", "query", "complaint"), [
    (simulation_file(night="tonight"), "", "invalid simulation file: night: "),
    ({"night": "2026-11-21"}, "", "invalid simulation file: sequences: Field required"),
    (simulation_file(sequences=[{"id": "a", "ra": 400, "dec": 0, "duration_s": 60}]), "",
     "sequences.0.ra"),
    ([1, 2], "", "the body must be a JSON object: a simulation file"),
    (simulation_file(), "?engine=best", "unknown engine 'best' (engines: optimal, fast)"),
    (simulation_file(), "?time_limit=31", "time_limit must be between 0.05 and 30 seconds"),
    (simulation_file(), "?time_limit=soon", "time_limit must be a number of seconds"),
])
def test_a_bad_simulation_is_refused_with_the_reason(observer_client, data, query, complaint):
    response = observer_client.post(SIMULATE + query, data, format="json")
    assert response.status_code == 400
    assert complaint in response.json()["detail"]


def test_a_simulation_file_without_site_uses_the_units(observer_client):
    data = simulation_file()
    del data["site"], data["overheads"]
    result = simulated(observer_client, f"{SIMULATE}?engine=fast", data)
    assert {p["id"] for p in result["plan"]} == {"m31", "orion"}


def test_an_anonymous_simulation_is_refused(initial_data):
    response = APIClient().post(SIMULATE, simulation_file(), format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


# --- Schema ------------------------------------------------------------------------------


def test_the_schema_describes_the_schedule_endpoints(tmp_path):
    out = tmp_path / "schema.json"
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json",
                 "--file", str(out))
    schema = json.loads(out.read_text())
    paths = schema["paths"]
    for url, operation in ((CURRENT, "schedule_current"), (HISTORY, "schedule_history"),
                           ("/api/schedule/{id}/", "schedule_retrieve")):
        assert set(paths[url]) == {"get"}
        assert paths[url]["get"]["operationId"] == operation
        assert {} in paths[url]["get"]["security"]  # no authentication needed
    simulate = paths[SIMULATE]["post"]
    assert simulate["operationId"] == "schedule_simulate"
    assert {} not in simulate["security"]
    assert set(simulate["responses"]) == {"202", "400", "401", "403", "429"}
    body = simulate["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    properties = schema["components"]["schemas"][body.rsplit("/", 1)[1]]["properties"]
    assert {"night", "sequences", "site", "engine", "time_limit"} <= set(properties)
    entry = schema["components"]["schemas"]["EntryOut"]["properties"]
    assert {"sequence", "name", "request", "priority", "status", "start", "end"} <= set(entry)


# --- A target's altitude tonight (the request builder's plot) --------------------------


def test_a_targets_altitude_tonight_in_degrees_or_sexagesimal(midnight):
    """M31 from San Pedro Mártir on 2026-11-21: high in the evening, setting at dawn."""
    degrees = APIClient().get("/api/schedule/altitude/", {"ra": "10.68", "dec": "41.27"})
    assert degrees.status_code == 200, degrees.content
    body = degrees.json()
    assert body["night"] == "2026-11-21" and body["dark_start"].startswith("2026-11-22T01:36")
    times = [t for t, _ in body["points"]]
    assert times == sorted(times) and len(times) > 50
    assert 70 < body["max_altitude"] < 90  # dec 41° at latitude 31°: culminates near 80°
    sexagesimal = APIClient().get("/api/schedule/altitude/",
                                  {"ra": "00:42:43.2", "dec": "+41 16 12"}).json()
    assert abs(sexagesimal["ra"] - 10.68) < 1e-6 and abs(sexagesimal["dec"] - 41.27) < 1e-6
    assert abs(sexagesimal["max_altitude"] - body["max_altitude"]) < 0.01
    for bad, message in ((("25:00:00", "0"), "below 24"), (("10", "north"), "declination"),
                         (("", "0"), "ra is required"), (("400", "0"), "out of range")):
        answer = APIClient().get("/api/schedule/altitude/", {"ra": bad[0], "dec": bad[1]})
        assert answer.status_code == 400 and message in answer.json()["detail"], answer.json()
    other = APIClient().get("/api/schedule/altitude/",
                            {"ra": "10.68", "dec": "41.27", "night": "2026-12-24"}).json()
    assert other["night"] == "2026-12-24"
