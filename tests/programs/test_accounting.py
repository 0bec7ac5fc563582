"""Time accounting without devices: the breakdown, idempotent charges, the figures on the
Programs page and API per profile, and the scheduler leaving out a program whose time is
used up — alerts excepted when the unit allows them to overdraw."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pyros.accounts.profiles import ProfileLevel
from pyros.alerts.models import AlertEvent, AlertPacket
from pyros.config.loader import active_config
from pyros.observations import json_format
from pyros.observations import store as requests_store
from pyros.observations.lifecycle import SequenceStatus
from pyros.observations.models import Sequence
from pyros.programs.accounting import charge_execution
from pyros.programs.charges import ImageSpan, breakdown
from pyros.programs.models import Allocation, Period, ScientificProgram, TimeCharge
from pyros.scheduling.agent import SchedulerAgent
from pyros.scheduling.models import Trigger
from tests.conftest import OBSERVER_PASSWORD, make_user, request_dict

AFTERNOON = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)
T0 = datetime(2026, 11, 22, 5, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_the_breakdown_splits_the_span_on_the_time_line():
    # Slew 0–20, two channels: A exposes 30–60 read out to 62, B 30–40 read out to 50.
    parts = breakdown(at(0), at(100), [ImageSpan(at(30), at(60), at(62)),
                                       ImageSpan(at(30), at(40), at(50))],
                      slew=(at(0), at(20)))
    assert parts.as_dict() == {"exposure": 30.0, "readout": 2.0, "slew": 20.0,
                               "overhead": 48.0}
    assert parts.total == 100.0
    # Interrupted: the images and the slew are clipped to the span; unknown readout is
    # overhead.
    parts = breakdown(at(0), at(35), [ImageSpan(at(30), at(60), None)], slew=(at(0), at(50)))
    assert parts.as_dict() == {"exposure": 5.0, "readout": 0.0, "slew": 30.0,
                               "overhead": 0.0}


def _sequence(name: str, ra: float, dec: float, *, minutes: int = 20) -> dict:
    return {"name": name, "target": name, "ra": ra, "dec": dec,
            "start": "2026-11-22T00:00:00Z", "end": "2026-11-23T00:00:00Z",
            "duration": minutes * 60, "priority": 5, "obs_type": "BESTELEV",
            "max_airmass": 2.0,
            "albums": [{"name": "vis", "detector": "Visible camera",
                        # 2 × (20 s + 6 s readout): a one-minute sequence holds them
                        "plans": [{"name": "r", "filter": "r", "exposure": 20,
                                   "nb_images": 2}]}]}


def _submit(owner, *sequences: dict, name: str = "tonight"):
    spec = json_format.spec_from_data(request_dict(name=name, submitted=True,
                                                   sequences=list(sequences)))
    return requests_store.create_request(spec, owner)


def _charge(sequence: Sequence, seconds: float, start: datetime = T0) -> TimeCharge:
    return charge_execution(sequence_id=sequence.pk, start=start,
                            end=start + timedelta(seconds=seconds), images=[], slew=None,
                            outcome="EXECUTED")


@pytest.fixture
def afternoon(simulated_clock):
    simulated_clock.set(AFTERNOON)
    return simulated_clock


def test_a_charge_is_written_once_per_execution(observer, afternoon):
    request = _submit(observer, _sequence("M31", 10.68, 41.27))
    seq = request.sequences.get()
    first = _charge(seq, 600)
    again = _charge(seq, 600)
    assert first.pk == again.pk and TimeCharge.objects.count() == 1
    assert first.period.name == "2026B" and first.program.name == "GRB"
    assert first.breakdown == {"exposure": 0.0, "readout": 0.0, "slew": 0.0,
                               "overhead": 600.0}
    _charge(seq, 300, start=at(3600))  # executed again later: a second execution
    assert TimeCharge.objects.count() == 2


def _use_up(program: ScientificProgram, owner, *, left_seconds: float = 0.0) -> None:
    """Charge the program its whole allocation but ``left_seconds``."""
    quota = float(Allocation.objects.get(program=program, period__name="2026B")
                  .quota_hours) * 3600
    old = _submit(owner, _sequence("done", 50.0, 20.0, minutes=1), name="done")
    _charge(old.sequences.get(), quota - left_seconds, start=datetime(2026, 7, 2, tzinfo=UTC))
    Sequence.objects.filter(request=old).update(status=SequenceStatus.EXECUTED)


def _make_alert(request) -> None:
    event = AlertEvent.objects.create(key="test:1", mission="SWIFT", created_at=AFTERNOON,
                                      updated_at=AFTERNOON)
    AlertPacket.objects.create(event=event, ivorn="ivo://test#1", role="test", mission="SWIFT",
                               notice_type="BAT_GRB_POS", record={}, raw="", source="test",
                               received_at=AFTERNOON, decision="ACCEPTED", request=request)


def _agent(*, overdraw: bool) -> SchedulerAgent:
    unit = active_config()
    unit = unit.model_copy(update={"accounting": unit.accounting.model_copy(
        update={"alerts_overdraw": overdraw})})
    return SchedulerAgent("scheduler", unit=unit, time_limit=0.5)


def test_the_scheduler_leaves_out_a_program_whose_time_is_used_up(
        observer, grb_program, afternoon):
    _use_up(grb_program, observer)
    _submit(observer, _sequence("M31", 10.68, 41.27))
    schedule = _agent(overdraw=True).replan(Trigger.OPERATOR, "test")
    m31 = Sequence.objects.get(target_name="M31")
    assert m31.status == SequenceStatus.UNPLANNABLE
    assert "GRB's time is used up" in m31.status_reason
    assert "time is used up" in schedule.unplanned.get(sequence=m31).reason
    assert not schedule.entries.exists()


def test_not_enough_time_left_for_the_whole_sequence_leaves_it_out(
        observer, grb_program, afternoon):
    _use_up(grb_program, observer, left_seconds=600)  # 10 min left, 20 min asked
    _submit(observer, _sequence("M31", 10.68, 41.27, minutes=20),
            _sequence("M33", 23.46, 30.66, minutes=5))
    _agent(overdraw=True).replan(Trigger.OPERATOR, "test")
    m31 = Sequence.objects.get(target_name="M31")
    assert m31.status == SequenceStatus.UNPLANNABLE
    assert "0.17 h of time left" in m31.status_reason
    assert Sequence.objects.get(target_name="M33").status == SequenceStatus.PLANNED


@pytest.mark.parametrize("overdraw", [True, False])
def test_an_alert_overdraws_its_program_only_when_allowed(
        observer, grb_program, afternoon, overdraw):
    _use_up(grb_program, observer)
    alert = _submit(observer, _sequence("GRB 261122A", 10.68, 41.27), name="alert")
    _make_alert(alert)
    _agent(overdraw=overdraw).replan(Trigger.ALERT, "test")
    seq = alert.sequences.get()
    if overdraw:
        assert seq.status == SequenceStatus.PLANNED
    else:
        assert seq.status == SequenceStatus.UNPLANNABLE
        assert "time is used up" in seq.status_reason


# --- the page and the API per profile --------------------------------------------------


@pytest.fixture
def accounts(observer, outsider, grb_program, afternoon):
    """GRB (alice a member) charged an hour; OTHER (bob its PI) charged half an hour."""
    period = Period.objects.get(name="2026B")
    other = ScientificProgram.objects.create(name="OTHER", pi=outsider)
    Allocation.objects.create(program=other, period=period, quota_hours=10)
    _charge(_submit(observer, _sequence("M31", 10.68, 41.27)).sequences.get(), 3600)
    spec = json_format.spec_from_data(request_dict(
        name="other", submitted=True, scientific_program="OTHER",
        sequences=[_sequence("M33", 23.46, 30.66)]))
    _charge(requests_store.create_request(spec, outsider).sequences.get(), 1800)
    return {"GRB": grb_program, "OTHER": other}


def _client(client, username: str | None, level=ProfileLevel.OBSERVER):
    if username is None:
        return client
    if username not in ("alice", "bob"):
        make_user(username, level)
    assert client.login(username=username, password=OBSERVER_PASSWORD)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(("user", "level", "seen"), [
    ("alice", ProfileLevel.OBSERVER, {"GRB"}),  # a member of GRB only
    ("bob", ProfileLevel.OBSERVER, {"OTHER"}),  # OTHER's PI
    ("iris", ProfileLevel.IE_IS, {"GRB", "OTHER"}),
    ("pia", ProfileLevel.PI, {"GRB", "OTHER"}),
])
def test_the_api_and_page_show_the_programs_one_may_see(client, accounts, user, level, seen):
    c = _client(client, user, level)
    answer = c.get("/api/programs/").json()
    assert answer["period"] == "2026B"
    figures = {p["program"]: p for p in answer["programs"]}
    assert set(figures) == seen
    if "GRB" in seen:
        grb = figures["GRB"]
        assert grb["allocated_h"] == 200 and grb["used_s"] == 3600.0
        assert grb["remaining_s"] == 199 * 3600.0 and grb["planned_s"] == 0.0
    page = c.get("/programs/")
    assert page.status_code == 200
    html = page.content.decode()
    for name in ("GRB", "OTHER"):
        assert (f'data-program="{name}"' in html) == (name in seen)
    for name, program in accounts.items():
        detail = c.get(f"/api/programs/{program.pk}/")
        assert detail.status_code == (200 if name in seen else 404)
        assert c.get(f"/programs/{program.pk}/").status_code == (200 if name in seen else 404)
    if "GRB" in seen:
        detail = c.get(f"/api/programs/{accounts['GRB'].pk}/").json()
        # Newest first: the initial data also allocates the next period.
        assert [p["period"] for p in detail["periods"]] == ["2027A", "2026B"]
        assert detail["charges"][0]["seconds"] == 3600.0


@pytest.mark.django_db
@pytest.mark.parametrize("level", [ProfileLevel.TAC, ProfileLevel.OPERATOR])
def test_profiles_without_requests_see_no_program(client, accounts, level):
    c = _client(client, "hidden", level)
    assert c.get("/api/programs/").status_code == 403
    assert c.get("/programs/").status_code == 403


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in(client, accounts):
    assert client.get("/api/programs/").status_code in (401, 403)
    page = client.get("/programs/")
    assert page.status_code == 302 and "/login/" in page["Location"]


@pytest.mark.django_db
def test_planned_counts_tonights_plan(client, observer, afternoon):
    _submit(observer, _sequence("M31", 10.68, 41.27, minutes=20))
    _agent(overdraw=True).replan(Trigger.OPERATOR, "test")
    c = _client(client, "alice")
    (grb,) = c.get("/api/programs/").json()["programs"]
    assert grb["planned_s"] == pytest.approx(1200.0, abs=1.0)
    assert grb["used_s"] == 0.0
