"""The monitoring agent against the real PLC simulator: the guide's rain scenario with
its safe delay (the agent's loop in a thread, on the wall clock), a PLC that falls
silent, a primary sensor flagged invalid, and hostile frames that never stop it."""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.db import connection

from pyros import clock
from pyros.agents.bus import send_command
from pyros.agents.models import AgentSurvey, Command
from pyros.agents.registry import agent_class
from pyros.agents.states import CommandState
from pyros.monitoring import store
from pyros.monitoring.agent import MonitoringAgent, reason_key
from pyros.monitoring.models import SafetyState, WeatherWatch
from pyros.plc.document import default_document
from pyros.plc.scenario import builtin_scenario
from tests.conftest import TEST_NOW
from tests.monitoring.conftest import RAIN, NoPlc, document, monitoring_unit, scenario
from tests.waiting import GENEROUS, wait_until

PERIOD = 0.2
SAFE_DELAY = 1.0


def a_safe_night_under_way() -> None:
    """The stored decision of a monitoring that was deciding SAFE a moment ago: the
    agent (re)started now carries on from it. Without it (a fresh database) safety is
    unknown until safe_delay of good readings (the tests at the end)."""
    now = clock.now()
    SafetyState.objects.update_or_create(pk=SafetyState.SINGLETON_ID, defaults={
        "safe": True, "status": "OK", "reasons": [], "decided_at": now, "since": now,
        "changed_at": now})


@pytest.fixture
def run_agent() -> Iterator[Callable[[MonitoringAgent], None]]:
    """Run an agent's main loop in a thread, as the supervisor would; stopped at the end."""
    running: list[tuple[MonitoringAgent, threading.Thread]] = []

    def start(agent: MonitoringAgent) -> None:
        def run() -> None:
            try:
                agent.run()
            finally:
                connection.close()

        thread = threading.Thread(target=run, name="monitoring-agent", daemon=True)
        thread.start()
        running.append((agent, thread))

    yield start
    for agent, thread in running:
        agent.stop()
        thread.join(10)


def statuses() -> list[tuple[float, str, float | None]]:
    """(seconds since the first row, status, rain rate) of every weather row."""
    rows = list(WeatherWatch.objects.order_by("time", "id")
                .values_list("time", "status", "rain_rate"))
    return [((t - rows[0][0]).total_seconds(), s, r) for t, s, r in rows]


def test_the_registry_knows_the_agent():
    assert agent_class("monitoring") is MonitoringAgent


def test_the_guides_rain_scenario(transactional_db, real_clock, plc_simulator, run_agent,
                                  caplog):
    """Rain of 12 mm/h at iterations 3 to 6, every 0.2 s: RAINING from the first rainy
    period, and OK again only once dry for the 1 s safe delay."""
    caplog.set_level(logging.INFO, logger="pyros.agent.monitoring")
    sim = plc_simulator(builtin_scenario("rain"))
    unit = monitoring_unit(sim.port, period=PERIOD, safe_delay=SAFE_DELAY)
    a_safe_night_under_way()
    agent = MonitoringAgent("monitoring", "test", unit=unit)
    assert agent.routine_period == PERIOD
    run_agent(agent)

    def back_to_ok() -> bool:
        last_rain = (WeatherWatch.objects.filter(status="RAINING")
                     .order_by("-time").values_list("time", flat=True).first())
        # The majordome is told just after the row is stored: wait for both.
        return last_rain is not None and WeatherWatch.objects.filter(
            status="OK", time__gt=last_rain).exists() and Command.objects.filter(
            recipient="majordome").count() >= 2

    wait_until(back_to_ok, "the rain to come and go")
    rows = statuses()
    rainy = [i for i, (_, _, rain) in enumerate(rows) if rain == 12.0]
    assert len(rainy) == 4 and rainy == list(range(rainy[0], rainy[0] + 4))
    assert all(rows[i][1] == "RAINING" for i in rainy)  # within the very period
    assert all(status == "OK" for _, status, _ in rows[:rainy[0]])
    dry_at = rows[rainy[-1] + 1][0]
    after = rows[rainy[-1] + 1:]
    first_ok = next(t for t, status, _ in after if status == "OK")
    still_raining = [t for t, status, _ in after if t < first_ok]
    assert all(status == "RAINING" for t, status, _ in after if t < first_ok)
    # OK once dry for the delay, at the first period after it (however long the periods
    # of a busy machine).
    assert first_ok - dry_at >= SAFE_DELAY
    assert still_raining[-1] - dry_at < SAFE_DELAY

    # The majordome was woken at each change, with what and why.
    told = list(Command.objects.filter(recipient="majordome").order_by("id"))
    assert [(c.name, c.sender, c.args["status"], c.args["safe"]) for c in told] == [
        ("safety_changed", "monitoring", "RAINING", False),
        ("safety_changed", "monitoring", "OK", True)]
    assert told[0].args["reasons"] == ["RAINING: rain rate 12 mm/h (limit 0)"]
    assert all(c.expires_at - c.created_at == timedelta(seconds=60) for c in told)
    changes = [r.getMessage() for r in caplog.records
               if r.levelno == logging.WARNING and r.getMessage().startswith("safety:")]
    assert changes == [
        "safety: OK -> RAINING, UNSAFE: RAINING: rain rate 12 mm/h (limit 0)",
        "safety: RAINING -> OK, SAFE: every criterion is good"]

    state = SafetyState.current()
    assert (state.status, state.safe, state.reasons) == ("OK", True, [])
    first_ok_row = WeatherWatch.objects.filter(status="OK", status_changed=True).last()
    assert state.since == state.changed_at == first_ok_row.time

    handle = send_command("monitoring", "status", sender="test").wait(GENEROUS)
    assert handle.state == CommandState.EXECUTED, handle.error
    assert (handle.result["status"], handle.result["safe"], handle.result["sky"]) == (
        "OK", True, "clear")
    described = send_command("monitoring", "get_status", sender="test").wait(GENEROUS).result
    assert (described["safety"], described["safe"]) == ("OK", True)
    survey = AgentSurvey.objects.get(name="monitoring")
    assert survey.status == "RUNNING" and survey.iteration > 0


def test_a_silent_plc_is_no_data_within_stale_after(db, plc_simulator, simulated_clock):
    """The PLC answers twice then falls silent: its last status is used until its values
    are ``stale_after`` old (1 s), then nothing is known and the site is unsafe."""
    sim = plc_simulator(scenario(200, {"time": 3, "failure": "silent",
                                       "for_iterations": 150}))
    a_safe_night_under_way()
    agent = MonitoringAgent("monitoring", "test",
                            unit=monitoring_unit(sim.port, period=PERIOD, stale_after=1.0))
    agent.init()
    seen = []
    for _ in range(9):
        observation = agent.watch()
        seen.append((round((simulated_clock.now() - TEST_NOW).total_seconds(), 2),
                     observation.decision.status.value, observation.plc_error))
        simulated_clock.advance(0.25)
    last_answer = 0.25  # the second status, the last the PLC sent
    for moment, status, error in seen:
        assert status == ("OK" if moment - last_answer <= 1.0 else "NO_DATA"), seen
        assert ("no answer within 0.2 s" in error) == (moment > last_answer), seen
    assert [s for _, s, _ in seen].count("NO_DATA") == 3
    state = SafetyState.current()
    assert (state.status, state.safe) == ("NO_DATA", False)
    assert "no valid rain data (WXT520.RainRate: measured 2 s ago (stale)" in state.reasons[0]
    assert state.plc_error.startswith(f"PLC at 127.0.0.1:{sim.port}: no answer within 0.2 s")
    agent.monitor.client.close()


def test_a_primary_sensor_flagged_invalid_gives_way_to_the_secondary(
        db, plc_simulator, caplog):
    """Both weather stations valid, then the WXT520 flagged invalid: the VantagePro's
    values are used, marked as a fallback with the reason, and the site stays safe. The
    refused values are logged once, not every period."""
    caplog.set_level(logging.INFO, logger="pyros.agent.monitoring")
    base = default_document().with_device_validity("VantagePro", True)
    sim = plc_simulator(scenario(10, {"time": 2, "plcSimulator": {
        "device_name": "WXT520", "valid": "no"}}), base)
    a_safe_night_under_way()
    agent = MonitoringAgent("monitoring", "test", unit=monitoring_unit(sim.port))
    agent.init()
    agent.watch()
    first = WeatherWatch.objects.get().values["humidity"]
    assert (first["value"], first["source"], "fallback" in first) == (
        64.1, "WXT520.OutsideHumidity", False)
    for _ in range(3):
        agent.watch()
    latest = WeatherWatch.objects.last()
    assert latest.values["humidity"] == {
        "value": 65.3, "source": "VantagePro.OutsideHumidity", "fallback": True,
        "measured_at": "2026-11-21T12:00:00Z",
        "reason": "WXT520.OutsideHumidity: flagged invalid by the PLC"}
    assert latest.values["rain_rate"]["source"] == "VantagePro.RainRate"
    assert latest.values["sky_temperature"]["source"] == "MLX90614-1.SkyTemperature"
    assert (latest.status, latest.safe) == ("OK", True)
    refused = [r.getMessage() for r in caplog.records if "OutsideHumidity" in r.getMessage()]
    assert refused == ["value refused: WXT520.OutsideHumidity: flagged invalid by the PLC "
                       "(not repeated for an hour)"]
    agent.monitor.client.close()


def frame(**changes: object) -> str:
    """A status frame of our own: the guide's document with values replaced (NaN is
    written as JSON's NaN), units changed or devices removed."""
    wire = default_document().stamped(TEST_NOW).to_wire()
    devices = wire[0]["device"]
    for key, change in changes.items():
        device, _, name = key.partition("__")
        if change == "remove":
            wire[0]["device"] = devices = [d for d in devices if d["name"] != device]
            continue
        for value in next(d for d in devices if d["name"] == device)["values"]:
            if value["name"] == name:
                value.update(change if isinstance(change, dict) else {"value": change})
    return json.dumps(wire)


def test_hostile_frames_never_stop_the_agent(db, plc_simulator, caplog):
    caplog.set_level(logging.INFO, logger="pyros.agent.monitoring")
    nothing = json.loads(frame())
    nothing[0]["device"] = []
    hostile = [
        "this is not JSON {",
        frame(WXT520__OutsideHumidity=math.nan),
        frame(WXT520__OutsideHumidity=150.0),
        frame(WXT520__OutsideHumidity={"unit": "%"}),
        frame(WXT520="remove", DRD11__digital={"value": None}),
        json.dumps({"name": "STATUS"}),
        json.dumps(nothing),
    ]
    events = [{"time": 2 + i, "failure": "garbage", "frame": f} for i, f in enumerate(hostile)]
    events[-1]["for_iterations"] = 50
    sim = plc_simulator(scenario(60, *events))
    a_safe_night_under_way()
    agent = MonitoringAgent("monitoring", "test", unit=monitoring_unit(sim.port))
    agent.init()
    seen = [agent.watch() for _ in range(1 + len(hostile) + 2)]

    statuses = [o.decision.status.value for o in seen]
    assert statuses == ["OK", "OK"] + ["NO_DATA"] * 8
    assert "not JSON" in seen[1].plc_error  # the last good status was used
    humidity = [o.synthesis.values["humidity"].reason for o in seen[2:5]]
    assert "WXT520.OutsideHumidity: PLC device 'WXT520' has no value" in humidity[0]
    assert "WXT520.OutsideHumidity: 150 % is impossible for humidity" in humidity[1]
    assert "WXT520.OutsideHumidity: unit '%', expected 'percent'" in humidity[2]
    assert "the PLC status has no device 'WXT520'" in seen[5].synthesis.values[
        "wind_speed"].reason
    assert "must be a JSON array holding one STATUS object" in seen[6].plc_error
    last = seen[-1]
    assert not last.decision.safe
    assert all(v.value is None for v in last.synthesis.values.values())
    assert WeatherWatch.objects.count() == len(seen)
    state = SafetyState.current()
    assert (state.status, state.safe) == ("NO_DATA", False)
    assert [r.split(" (")[0] for r in state.reasons] == [
        "NO_DATA: no valid rain data", "NO_DATA: no valid wind data",
        "NO_DATA: no valid humidity data"]
    logged = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("value must be finite, not nan" in m for m in logged)
    assert any(m.startswith("PLC: PLC at 127.0.0.1") and "not JSON" in m for m in logged)
    agent.monitor.client.close()


@pytest.mark.django_db
def test_restart_init_does_not_skip_the_safe_delay():
    """restart_init reconnects to the PLC but remembers that the rain stopped only a
    second ago: the site is not safe before ``safe_delay``."""
    a_safe_night_under_way()
    agent = MonitoringAgent("monitoring", "test", unit=monitoring_unit(safe_delay=900.0),
                            client=NoPlc())  # type: ignore[arg-type]
    agent.init()
    wet = agent.monitor.observe(document(TEST_NOW, RAIN), TEST_NOW)
    assert wet.decision.status.value == "RAINING"
    agent.generic_restart_init(Command(sender="test", recipient="monitoring",
                                       name="restart_init"))
    for seconds in (1, 2):  # dry from +1 s
        later = TEST_NOW + timedelta(seconds=seconds)
        dry = agent.monitor.observe(document(later), later)
    assert (dry.decision.status.value, dry.decision.safe) == ("RAINING", False)
    assert "good again for 1 s, safe after 900 s" in dry.decision.reasons[0]


def test_rejected_values_are_told_once_per_reason_whatever_their_numbers():
    assert reason_key("WXT520.RainRate: measured 65 s ago (stale)") == reason_key(
        "WXT520.RainRate: measured 70.5 s ago (stale)")
    assert reason_key("a: 150 % is impossible") != reason_key("b: 150 % is impossible")


@pytest.mark.django_db
def test_a_new_process_resumes_the_stored_unsafe_state():
    """An agent that starts while the stored decision is unsafe (it died, or was
    restarted by the supervisor, during the wait) waits out safe_delay again."""
    from pyros.monitoring.models import SafetyState

    state = SafetyState.current()
    state.safe, state.status, state.reasons = False, "RAINING", ["RAINING: rain rate 2 mm/h"]
    state.decided_at = clock.now()
    state.save()
    agent = MonitoringAgent("monitoring", "test", unit=monitoring_unit(safe_delay=900.0),
                            client=NoPlc())  # type: ignore[arg-type]
    agent.init()
    dry = agent.monitor.observe(document(TEST_NOW), TEST_NOW)
    assert (dry.decision.status.value, dry.decision.safe) == ("RAINING", False)


@pytest.mark.django_db
def test_a_fresh_database_is_not_safe_before_safe_delay_of_good_readings():
    """No history: the first good reading does not make the site safe (it was SAFE at
    once before issue 18); safe_delay of them does."""
    agent = MonitoringAgent("monitoring", "test", unit=monitoring_unit(safe_delay=600.0),
                            client=NoPlc())  # type: ignore[arg-type]
    agent.init()
    first = agent.monitor.observe(document(TEST_NOW), TEST_NOW)
    store.record(first)
    assert (first.decision.status.value, first.decision.safe) == ("NO_DATA", False)
    assert "no earlier readings" in first.decision.reasons[0]
    assert not SafetyState.current().safe
    for seconds in (300, 599, 600):
        later = TEST_NOW + timedelta(seconds=seconds)
        decision = agent.monitor.observe(document(later), later).decision
        assert decision.safe == (seconds >= 600), (seconds, decision.reasons)


@pytest.mark.django_db
@pytest.mark.parametrize(("age", "safe_at_once"), [(30.0, True), (61.0, False)])
def test_a_stored_safe_decision_vouches_for_the_present_until_it_is_stale(age, safe_at_once):
    """A monitoring restarted in a safe night keeps it safe; after a longer absence than
    ``stale_after`` (60 s) its old decision says nothing of now."""
    a_safe_night_under_way()
    SafetyState.objects.update(decided_at=clock.now() - timedelta(seconds=age))
    agent = MonitoringAgent("monitoring", "test", unit=monitoring_unit(safe_delay=600.0),
                            client=NoPlc())  # type: ignore[arg-type]
    agent.init()
    now = clock.now()
    assert agent.monitor.observe(document(now), now).decision.safe == safe_at_once
