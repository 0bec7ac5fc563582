"""Storing each period (watch rows, the safety state, what changed) and the retention
policy: a year of rows thinned to the expected count, status changes never lost."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from pyros.monitoring import store
from pyros.monitoring.models import SafetyState, SiteWatch, WeatherWatch
from pyros.monitoring.safety import GlobalStatus
from tests.conftest import TEST_NOW
from tests.monitoring.conftest import RAIN, document, record_at, watcher

pytestmark = pytest.mark.django_db

S = timedelta(seconds=1)


def test_a_period_stores_both_watches_and_the_safety_state():
    observation = record_at(watcher(), TEST_NOW)
    assert (observation.decision.status, observation.decision.safe) == (GlobalStatus.OK, True)
    weather = WeatherWatch.objects.get()
    site = SiteWatch.objects.get()
    for row in (weather, site):
        assert (row.time, row.status, row.safe, row.reasons, row.status_changed,
                row.plc_error) == (TEST_NOW, "OK", True, [], True, "")
    assert weather.values["rain_detected"] == {
        "value": False, "source": "DRD11.digital", "measured_at": "2026-11-21T12:00:00Z"}
    assert weather.values["humidity"]["value"] == pytest.approx(64.1)
    assert (weather.sky, weather.sky_brightness) == ("clear", None)
    assert (weather.rain_rate, weather.wind_speed, weather.temperature) == (0.0, 3.1, 12.12)
    assert site.values["plc_mode"] == {"value": "auto", "source": "SITE.PlcMode",
                                       "measured_at": "2026-11-21T12:00:00Z"}
    assert set(site.values) == {"doors_open", "lights_on", "shutter", "mains_power",
                                "ups_on_battery", "ups_battery_level", "intrusion",
                                "emergency_stop", "plc_mode", "night_ack", "plc_bypass"}
    assert "shutter" not in weather.values and "humidity" not in site.values


def test_missing_values_say_why_and_columns_hold_the_numbers():
    record_at(watcher(), TEST_NOW, invalid=("WXT520",))
    row = WeatherWatch.objects.get()
    assert row.values["humidity"] == {
        "value": None, "source": "", "measured_at": None,
        "reason": "WXT520.OutsideHumidity: flagged invalid by the PLC; "
                  "VantagePro.OutsideHumidity: flagged invalid by the PLC"}
    assert (row.humidity, row.rain_rate, row.wind_speed) == (None, None, None)
    assert row.sky_temperature == pytest.approx(-15.67)
    assert (row.status, row.safe) == ("NO_DATA", False)
    assert row.reasons[0].startswith("NO_DATA: no valid wind data (WXT520.WindSpeed: "
                                     "flagged invalid by the PLC")
    state = SafetyState.current()
    assert (state.status, state.safe, state.reasons) == ("NO_DATA", False, row.reasons)


def test_the_safety_state_says_since_when_and_what_changed():
    monitor = watcher(safe_delay=0.0)
    first = record_at(monitor, TEST_NOW)
    assert (first.decision.status, first.decision.safe) == (GlobalStatus.OK, True)
    state = SafetyState.current()
    assert (state.safe, state.since, state.changed_at, state.decided_at) == (
        True, TEST_NOW, TEST_NOW, TEST_NOW)
    assert state.sky == "clear"

    record_at(monitor, TEST_NOW + 5 * S)
    record_at(monitor, TEST_NOW + 10 * S, {("WXT520", "WindSpeed"): 16.0})  # windy
    record_at(monitor, TEST_NOW + 15 * S, {("WXT520", "WindSpeed"): 16.0, **RAIN})
    state = SafetyState.current()
    assert (state.status, state.safe) == ("RAINING", False)
    assert state.since == TEST_NOW + 10 * S  # unsafe since the wind
    assert state.changed_at == TEST_NOW + 15 * S  # raining since then
    assert state.decided_at == TEST_NOW + 15 * S
    assert [r.split(":")[0] for r in state.reasons] == ["RAINING", "WINDY"]
    changed = list(WeatherWatch.objects.values_list("status", "status_changed"))
    assert changed == [("OK", True), ("OK", False), ("WINDY", True), ("RAINING", True)]
    assert SafetyState.objects.count() == 1


def test_what_record_reports_is_judged_against_the_stored_state():
    first = store.record(watcher().observe(document(TEST_NOW), TEST_NOW))
    assert (first.status_changed, first.safe_changed, first.previous_status) == (
        True, True, None)
    # A restarted agent (a new evaluator) does not announce a status that did not change.
    again = store.record(watcher().observe(document(TEST_NOW + S), TEST_NOW + S))
    assert (again.status_changed, again.safe_changed, again.previous_status,
            again.previous_safe) == (False, False, "OK", True)


def test_a_decision_not_renewed_is_not_current():
    record_at(watcher(), TEST_NOW)
    state = SafetyState.current()
    assert state.is_current(TEST_NOW + 15 * S, period=5.0)
    assert not state.is_current(TEST_NOW + 16 * S, period=5.0)
    assert state.is_current(TEST_NOW + 30 * S, period=10.0)  # three periods
    SafetyState.objects.all().delete()
    fresh = SafetyState.current()
    assert fresh.pk == 1 and not SafetyState.objects.exists()  # reading never writes
    assert (fresh.status, fresh.safe, fresh.age(TEST_NOW)) == ("NO_DATA", False, None)
    assert not fresh.is_current(TEST_NOW, period=5.0)


# --- retention -------------------------------------------------------------------------


def rows(start: datetime, end: datetime, every: float, *,
         changed_at: frozenset[int] = frozenset()) -> list[WeatherWatch]:
    """Rows every ``every`` seconds in [start, end); the k-th row is a status change
    (RAINING) when k is in ``changed_at``."""
    out = []
    moment, k = start, 0
    while moment < end:
        change = k in changed_at
        out.append(WeatherWatch(time=moment, status="RAINING" if change else "OK",
                                safe=not change, status_changed=change, sky="clear"))
        moment += timedelta(seconds=every)
        k += 1
    return out


def test_a_year_of_history_is_thinned_to_its_policy():
    day, month, year = timedelta(days=1), timedelta(days=30), timedelta(days=365)
    recent = rows(TEST_NOW - day + 30 * S, TEST_NOW, 60)  # a row a minute
    # From a day to a month old: two rows per 5 minutes (k even: first of its bucket),
    # five showers that began on the second row of a bucket.
    middle = rows(TEST_NOW - month, TEST_NOW - day, 150,
                  changed_at=frozenset({101, 2001, 5001, 9001, 16001}))
    # From a month to a year old: two rows an hour (at :10 and :40), three changes.
    old = rows(TEST_NOW - year + 600 * S, TEST_NOW - month, 1800,
               changed_at=frozenset({7, 5001, 16001}))
    ancient = rows(TEST_NOW - year - day, TEST_NOW - year - day + 100 * S, 10)
    assert (len(recent), len(middle), len(old), len(ancient)) == (1440, 16704, 16080, 10)
    WeatherWatch.objects.bulk_create(recent + middle + old + ancient, batch_size=2000)
    SiteWatch.objects.bulk_create(
        [SiteWatch(time=r.time, status=r.status, safe=r.safe, status_changed=r.status_changed)
         for r in recent + ancient], batch_size=2000)

    pruned = store.prune(TEST_NOW)

    kept = 1440 + (8352 + 5) + (8040 + 3)
    assert WeatherWatch.objects.count() == kept == 17_840
    assert (pruned.deleted, pruned.thinned) == (20, 34_234 - 10 - kept)
    assert SiteWatch.objects.count() == 1440  # the last day untouched, the ancient gone
    changes = WeatherWatch.objects.filter(status_changed=True)
    assert changes.count() == 8  # every shower kept, at any age
    assert not WeatherWatch.objects.filter(time__lt=TEST_NOW - year).exists()
    month_old = WeatherWatch.objects.filter(time__lt=TEST_NOW - month, status_changed=False)
    assert all(t.minute == 10 for t in month_old.values_list("time", flat=True))

    # Ten minutes later, only what aged past a boundary meanwhile is looked at.
    later = store.prune(TEST_NOW + 600 * S, since=TEST_NOW)
    # The ten rows of the last day that turned a day old, in each table: two 5-minute
    # buckets kept; the first month-old weather rows: 12:00 kept, 12:05 thinned.
    assert (later.deleted, later.thinned) == (0, 2 * 8 + 1)
    assert store.prune(TEST_NOW + 600 * S, since=TEST_NOW + 600 * S) == store.Pruned(0, 0)
