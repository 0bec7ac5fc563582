"""The alerts API: the events newest first with their latest decision, one event with
its packets, decision logs and latency breakdown, and the active strategy, which only
the profiles the rights matrix gives "alerts.strategy" to may read; all of it in the
OpenAPI schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from pyros.accounts.profiles import ProfileLevel
from pyros.alerts.api import event_payload, events_with_packets
from pyros.alerts.models import AlertEvent, AlertPacket, Decision, Step
from pyros.alerts.store import active_strategy, ingest, log, save_strategy
from pyros.config.loader import active_config
from tests.alerts.test_intake import BAT, XRT, at, packet  # noqa: F401
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

EVENTS = "/api/alerts/events/"
STRATEGY = "/api/alerts/strategy/"
GBM = "fermi_gbm_gnd_pos_538809001.xml"
TEST = "swift_bat_grb_pos_test.xml"


def get(url: str, client: APIClient | None = None, **params: object) -> dict:
    response = (client or APIClient()).get(url, params)
    assert response.status_code == 200, response.content
    return response.json()


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def received(at):  # noqa: F811
    """Fermi GBM (too large), a test packet, then Swift BAT and XRT (observed), and one
    refused packet."""
    for name, delay in ((GBM, 120), (TEST, 120), (BAT, 120), (XRT, 600)):
        at(name, delay)
        ingest(packet(name), source="test", unit=active_config())
    ingest(b"not xml", source="test", unit=active_config())
    return {e.key: e for e in AlertEvent.objects.all()}


def test_the_events_are_listed_newest_first_with_their_decisions(received):
    body = get(EVENTS)
    assert (body["count"], body["limit"], body["offset"], body["refused_count"]) == (
        3, 50, 0, 1)
    keys = [e["key"] for e in body["events"]]
    assert keys == ["test:Swift:99999", "Fermi:538809001", "Swift:655721"]
    swift = body["events"][2]
    assert {"id", "key", "mission", "trigger_id", "status", "event_time", "ra", "dec",
            "error_radius", "position_ivorn", "skymap_url", "cancelled_by", "created_at",
            "updated_at", "packet_count", "decision", "reason", "requests"} == set(swift)
    assert (swift["mission"], swift["trigger_id"], swift["status"], swift["packet_count"],
            swift["decision"]) == ("Swift", "655721", "ACTIVE", 2, "ACCEPTED")
    assert swift["ra"] == pytest.approx(319.6588) and swift["error_radius"] < 0.01
    assert swift["position_ivorn"].endswith("XRT_Pos_655721-326")
    assert swift["event_time"] == "2015-09-15T21:18:24.860000Z"
    assert len(swift["requests"]) == 2 and swift["requests"][0] > swift["requests"][1]
    fermi = body["events"][1]
    assert fermi["decision"] == "REJECTED" and "exceeds" in fermi["reason"]
    assert body["events"][0]["status"] == "TEST" and body["events"][0]["requests"] == []


def test_the_list_pages_and_filters(received):
    page = get(EVENTS, limit=1, offset=1)
    assert page["count"] == 3 and [e["key"] for e in page["events"]] == ["Fermi:538809001"]
    assert [e["key"] for e in get(EVENTS, status="TEST")["events"]] == ["test:Swift:99999"]
    assert [e["key"] for e in get(EVENTS, mission="fermi")["events"]] == ["Fermi:538809001"]
    for params, message in (({"limit": 0}, "limit must be between 1 and 500"),
                            ({"offset": "x"}, "offset must be a whole number, not 'x'"),
                            ({"status": "GONE"}, "unknown status 'GONE' (statuses: ACTIVE, "
                                                 "RETRACTED, TEST)")):
        response = APIClient().get(EVENTS, params)
        assert response.status_code == 400 and response.json() == {"detail": message}


def test_one_event_has_its_packets_logs_and_latencies(received):
    swift = received["Swift:655721"]
    body = get(f"{EVENTS}{swift.pk}/")
    assert body["key"] == "Swift:655721" and len(body["packets"]) == 2
    bat, xrt = body["packets"]
    assert bat["notice_type"] == "SWIFT_BAT_GRB_POS_ACK"
    assert (bat["position_used"], xrt["position_used"]) == (False, True)
    assert bat["decision"] == xrt["decision"] == "ACCEPTED"
    assert bat["strategy_version"] == 1 and bat["request"] == body["requests"][1]
    assert bat["record"]["trigger_id"] == "655721"
    assert [e["step"] for e in bat["log"]] == ["RECEIVED", "PARSED", "GROUPED", "ACCEPTED",
                                               "REQUEST"]
    assert [s["stage"] for s in bat["latency"]] == ["parsed", "decided", "request"]
    # The XRT packet's CANCELLED step (the BAT request replaced) is not its decision.
    assert [(s["stage"], s["step"]) for s in xrt["latency"]] == [
        ("parsed", "PARSED"), ("decided", "ACCEPTED"), ("request", "REQUEST")]
    assert "raw" not in bat
    event = events_with_packets(AlertEvent.objects.filter(pk=swift.pk), logs=True).get()
    assert body == event_payload(event)
    response = APIClient().get(f"{EVENTS}{swift.pk + 100}/")
    assert response.status_code == 404
    assert response.json() == {"detail": f"no alert event #{swift.pk + 100}"}


def test_the_latency_is_counted_from_the_reception(initial_data):
    t0 = datetime(2026, 11, 22, 7, 0, tzinfo=UTC)
    event = AlertEvent.objects.create(key="SVOM:sb1", mission="SVOM", created_at=t0,
                                      updated_at=t0)
    row = AlertPacket.objects.create(
        event=event, ivorn="ivo://test#2", role="observation", mission="SVOM",
        notice_type="SVOM_ECLAIRS_WAKEUP", record={}, raw="<x/>", source="broker",
        received_at=t0, decision=Decision.ACCEPTED, reason="accepted")
    for step, ms in ((Step.RECEIVED, 0), (Step.PARSED, 2), (Step.ACCEPTED, 9),
                     (Step.REQUEST, 31), (Step.PLAN, 420), (Step.SLEW, 777)):
        log(step, str(step), packet=row, at=t0 + timedelta(milliseconds=ms))
    [packet_out] = get(f"{EVENTS}{event.pk}/")["packets"]
    assert [(s["stage"], s["since_received_ms"], s["since_previous_ms"])
            for s in packet_out["latency"]] == [
        ("parsed", 2.0, 2.0), ("decided", 9.0, 7.0), ("request", 31.0, 22.0),
        ("plan", 420.0, 389.0), ("slew", 777.0, 357.0)]
    assert packet_out["latency"][-1]["at"] == "2026-11-22T07:00:00.777000Z"


def test_every_profile_reads_the_events(received):
    for client in (APIClient(), as_user(make_user("victor", ProfileLevel.VISITOR))):
        assert get(EVENTS, client)["count"] == 3


def test_the_strategy_is_for_the_profiles_the_matrix_gives_it_to(initial_data, admin_user):
    response = APIClient().get(STRATEGY)
    assert response.status_code == 401
    for level in (ProfileLevel.VISITOR, ProfileLevel.OBSERVER, ProfileLevel.OPERATOR,
                  ProfileLevel.SUPEROPERATOR):
        response = as_user(make_user(f"user{int(level)}", level)).get(STRATEGY)
        assert response.status_code == 403, level
    pi = make_user("paula", ProfileLevel.PI)
    body = get(STRATEGY, as_user(pi))
    first = active_strategy()
    assert body == {"version": 1, "name": "GRB follow-up (default)", "text": first.text,
                    "created_at": "2026-11-21T12:00:00Z", "created_by": None,
                    "comment": "the default shipped with PyROS", "problems": []}
    save_strategy(first.text.replace('"Infrared camera"', '"Thermal camera"'), user=pi,
                  comment="new camera")
    body = get(STRATEGY, as_user(admin_user))
    assert (body["version"], body["created_by"], body["comment"]) == (2, "paula", "new camera")
    assert body["problems"] == ["templates.grb: no channel 'Thermal camera' "
                                "(channels: VIS, NIR)"]


def test_the_schema_describes_the_alert_endpoints(tmp_path):
    out = tmp_path / "schema.json"
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json",
                 "--file", str(out))
    schema = json.loads(out.read_text())
    paths = schema["paths"]
    for url, operation in ((EVENTS, "alerts_events_list"),
                           ("/api/alerts/events/{id}/", "alerts_events_retrieve"),
                           (STRATEGY, "alerts_strategy_retrieve")):
        assert set(paths[url]) == {"get"}
        assert paths[url]["get"]["operationId"] == operation
    assert {} in paths[EVENTS]["get"]["security"]  # no authentication needed
    assert {} not in paths[STRATEGY]["get"]["security"]
    assert set(paths[STRATEGY]["get"]["responses"]) == {"200", "401", "403"}
    components = schema["components"]["schemas"]
    packet_fields = set(components["PacketOut"]["properties"])
    assert {"ivorn", "notice_type", "received_at", "decision", "reason", "log",
            "latency"} <= packet_fields
    assert {"since_received_ms", "since_previous_ms"} <= set(
        components["StageOut"]["properties"])
