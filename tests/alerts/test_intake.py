"""The intake of packets into the database: events, decisions, requests, the log."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pyros.alerts.models import (
    AlertEvent,
    AlertLog,
    AlertPacket,
    EventStatus,
    RefusedPacket,
    Step,
    Strategy,
)
from pyros.alerts.store import active_strategy, ingest, save_strategy
from pyros.alerts.strategy import StrategyError
from pyros.alerts.voevent import parse_voevent
from pyros.config.loader import active_config
from pyros.observations.lifecycle import RequestStatus
from pyros.observations.models import Request
from pyros.programs.models import Allocation, Period, ScientificProgram
from pyros.simulators.transients import registered_transients
from tests.alerts import DATA

BAT = "swift_bat_grb_pos_655721.xml"
XRT = "swift_xrt_pos_655721.xml"


def packet(name: str) -> bytes:
    return (DATA / name).read_bytes()


@pytest.fixture
def at(simulated_clock, initial_data):
    """Set the clock ``delay`` seconds after a packet's event, in a period where the
    GRB program has time (the packets are years old)."""

    def moment(name: str, delay: float):
        event_time = parse_voevent(packet(name)).event_time
        now = event_time + timedelta(seconds=delay)
        simulated_clock.set(now)
        if not Period.objects.filter(start__lte=now, end__gt=now).exists():
            period = Period.objects.create(name=f"P{now:%Y%m}", start=now - timedelta(days=90),
                                           end=now + timedelta(days=90))
            Allocation.objects.create(program=ScientificProgram.objects.get(name="GRB"),
                                      period=period, quota_hours=200)
        return now

    return moment


def steps(packet_row: AlertPacket) -> list[str]:
    return [entry.step for entry in packet_row.log.all()]


def test_a_swift_burst_becomes_a_submitted_request_with_its_log(at):
    at(BAT, 120)
    result = ingest(packet(BAT), source="test", unit=active_config())
    assert result.decision == "ACCEPTED", result.reason
    request = result.request
    assert request.status == RequestStatus.SUBMITTED and request.target_type == "alert"
    first = request.sequences.first()
    assert (first.ra, first.dec) == pytest.approx((result.record["ra"], result.record["dec"]))
    assert steps(result.packet) == [Step.RECEIVED, Step.PARSED, Step.GROUPED, Step.ACCEPTED,
                                    Step.REQUEST]
    assert result.packet.strategy == active_strategy()
    assert result.as_json()["alert"]["trigger_id"] == "655721"
    # The example unit's cameras are simulated: the burst's afterglow is in their sky.
    [afterglow] = registered_transients()
    assert (afterglow.ra, afterglow.dec) == pytest.approx((first.ra, first.dec))
    assert afterglow.t0 == result.packet.event.event_time
    assert (afterglow.magnitude, afterglow.decay) == (16.0, 1.0)  # [alerts] simulated_afterglow_*
    ingest(packet(XRT), source="test", unit=active_config())
    assert len(registered_transients()) == 1  # once per event


def test_a_better_position_replaces_the_request_and_a_duplicate_changes_nothing(at):
    at(BAT, 120)
    first = ingest(packet(BAT), source="test", unit=active_config())
    at(XRT, 600)
    second = ingest(packet(XRT), source="test", unit=active_config())
    assert second.decision == "ACCEPTED", second.reason
    assert first.packet.event == second.packet.event
    first.request.refresh_from_db()
    assert first.request.status == RequestStatus.CANCELLED
    assert "position refined" in first.request.status_reason
    event = AlertEvent.objects.get()
    assert event.error_radius == pytest.approx(second.record["error_radius"])
    again = ingest(packet(XRT), source="test", unit=active_config())
    assert again.decision == "DUPLICATE"
    assert AlertPacket.objects.count() == 2


@pytest.mark.parametrize("data", [
    b"",
    b"<voe:VOEvent",
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    b"<html><body>not a packet</body></html>",
    b"\x00\x01binary",
])
def test_a_bad_packet_is_refused_and_nothing_else_changes(at, data):
    at(BAT, 120)
    result = ingest(data, source="test", unit=active_config())
    assert result.decision == "REFUSED" and result.reason
    assert RefusedPacket.objects.get().reason == result.reason
    assert not AlertEvent.objects.exists() and not AlertPacket.objects.exists()


def test_a_test_packet_is_logged_and_never_observed(at):
    at("swift_bat_grb_pos_test.xml", 120)
    result = ingest(packet("swift_bat_grb_pos_test.xml"), source="test", unit=active_config())
    assert result.decision == "REJECTED" and "test" in result.reason
    assert result.packet.event.status == EventStatus.TEST
    assert result.request is None


def test_a_retraction_cancels_the_events_requests(at):
    wakeup, retraction = "svom_eclairs_wakeup_sb26030408.xml", "svom_retraction_sb26030408.xml"
    at(wakeup, 120)
    # The real burst was below San Pedro Mártir's horizon: moved to where the sky was
    # dark and high at 09:41 UTC that night (RA 190°), so that there is something to
    # cancel.
    visible = packet(wakeup).replace(b"<C1>47.0752</C1>", b"<C1>190.0000</C1>")
    first = ingest(visible, source="test", unit=active_config())
    at(retraction, 60)
    second = ingest(packet(retraction), source="test", unit=active_config())
    assert second.decision == "RETRACTION"
    assert second.packet.event.status == EventStatus.RETRACTED
    assert first.decision == "ACCEPTED", first.reason
    first.request.refresh_from_db()
    assert first.request.status == RequestStatus.CANCELLED
    assert Step.CANCELLED in steps(second.packet)


def test_a_new_strategy_version_is_active_and_a_bad_one_is_refused(at, admin_user):
    at(BAT, 120)
    first = active_strategy()
    text = first.text.replace('priority = ', 'priority = ', 1)
    second = save_strategy(text, user=admin_user, comment="same rules")
    assert second.version == first.version + 1
    assert list(Strategy.objects.filter(is_active=True)) == [second]
    with pytest.raises(StrategyError):
        save_strategy("rules = 3")
    assert Strategy.objects.get(is_active=True) == second


def test_the_command_prints_the_record_and_the_decision(at, capsys):
    at(BAT, 120)
    call_command_json = _run_cli(["alert", "ingest", str(DATA / BAT), "--json", "--store"])
    assert call_command_json["decision"] == "ACCEPTED"
    assert call_command_json["stored"] is True and call_command_json["sequences"] >= 1
    assert call_command_json["alert"]["mission"] == "Swift"
    assert AlertLog.objects.filter(step=Step.REQUEST).exists()


def test_reading_a_packet_stores_nothing_and_a_stored_one_again_is_a_duplicate(at):
    """`pyros alert ingest` once stored what it read: the same packet sent later through
    the broker was then silently a duplicate. Reading judges it and keeps nothing."""
    at(BAT, 120)
    before = (AlertPacket.objects.count(), AlertEvent.objects.count(), AlertLog.objects.count())
    read = _run_cli(["alert", "ingest", str(DATA / BAT), "--json"])
    assert read["decision"] == "ACCEPTED" and read["stored"] is False
    assert read["request"] is None and read["sequences"] >= 1
    assert (AlertPacket.objects.count(), AlertEvent.objects.count(),
            AlertLog.objects.count()) == before
    assert not Request.objects.filter(owner__username="alerts").exists()
    words = _run_cli(["alert", "ingest", str(DATA / BAT)], json_out=False)
    assert "would submit a request" in words and "nothing stored" in words

    stored = _run_cli(["alert", "ingest", str(DATA / BAT), "--store"], json_out=False)
    assert "ACCEPTED" in stored and "submitted" in stored
    again = _run_cli(["alert", "ingest", str(DATA / BAT), "--store"], json_out=False,
                     exit_code=2)
    assert "DUPLICATE: duplicate:" in again and "already received" in again
    assert "from file " + BAT in again
    read_again = _run_cli(["alert", "ingest", str(DATA / BAT), "--json"], exit_code=2)
    assert read_again["duplicate"] is True
    assert AlertPacket.objects.count() == 1


def _run_cli(args: list[str], *, json_out: bool = True, exit_code: int = 0):
    import json

    from click.testing import CliRunner

    from pyros.cli.main import cli

    outcome = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert outcome.exit_code == exit_code, outcome.output
    return json.loads(outcome.output) if json_out else outcome.output


