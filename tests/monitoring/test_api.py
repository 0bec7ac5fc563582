"""The monitoring API, read by anyone: the current weather with each value's origin, the
bucketed history with its unsafe periods, and the site with its safety timeline."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from pyros.monitoring import store
from pyros.monitoring.models import WeatherWatch
from pyros.plc.document import default_document
from tests.conftest import TEST_NOW
from tests.monitoring.conftest import RAIN, record_at, watcher

pytestmark = pytest.mark.django_db

NOW = "/api/weather/now/"
HISTORY = "/api/weather/history/"
SITE = "/api/observatory/site/"
S = timedelta(seconds=1)


def get(url: str, **params: object) -> dict:
    response = APIClient().get(url, params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


def test_before_any_reading_everything_says_no_data():
    body = get(NOW)
    assert body["time"] is None and body["values"] == []
    safety = body["safety"]
    assert (safety["status"], safety["safe"], safety["current"], safety["decided_at"]) == (
        "NO_DATA", False, False, None)
    assert safety["reasons"] == ["NO_DATA: no safety decision yet (is the monitoring agent "
                                 "running?)"]
    assert get(SITE)["changes"] == []
    assert get(HISTORY)["points"] == []


def test_the_current_weather_says_where_each_value_comes_from(simulated_clock):
    record_at(watcher(), TEST_NOW - 2 * S, invalid=("WXT520",), changes={
        ("VantagePro", "OutsideHumidity"): 40.0})
    body = get(NOW)
    assert (body["now"], body["time"]) == ("2026-11-21T12:00:00Z", "2026-11-21T11:59:58Z")
    safety = body["safety"]
    assert (safety["status"], safety["safe"], safety["current"], safety["age_seconds"]) == (
        "NO_DATA", False, True, 2.0)
    by_name = {v["quantity"]: v for v in body["values"]}
    assert list(by_name) == ["rain_rate", "rain_detected", "wind_speed", "humidity",
                             "temperature", "dew_point", "pressure", "sky_temperature"]
    assert by_name["humidity"] == {
        "quantity": "humidity", "label": "Humidity", "unit": "%", "value": None,
        "text": "\N{EN DASH}", "source": "", "fallback": False,
        "reason": "WXT520.OutsideHumidity: flagged invalid by the PLC; "
                  "VantagePro.OutsideHumidity: flagged invalid by the PLC",
        "measured_at": None, "alarm": False}
    assert by_name["rain_detected"]["text"] == "dry"
    assert by_name["sky_temperature"]["text"] == "-15.7 °C"
    assert by_name["sky_temperature"]["source"] == "MLX90614-1.SkyTemperature"
    simulated_clock.advance(14)
    assert get(NOW)["safety"]["current"] is False  # not renewed for 16 s: stale


def test_a_fallback_is_marked_with_the_primary_sensors_fault():
    both = default_document().with_device_validity("VantagePro", True)
    doc = both.with_value("WXT520", "OutsideHumidity", 150.0).stamped(TEST_NOW)
    store.record(watcher().observe(doc, TEST_NOW))
    humidity = {v["quantity"]: v for v in get(NOW)["values"]}["humidity"]
    assert (humidity["value"], humidity["text"], humidity["fallback"]) == (65.3, "65.3 %", True)
    assert humidity["source"] == "VantagePro.OutsideHumidity"
    assert humidity["reason"] == "WXT520.OutsideHumidity: 150 % is impossible for humidity"
    assert humidity["measured_at"] == "2026-11-21T12:00:00Z"


def test_the_history_is_bucketed_with_the_worst_rain_and_exact_unsafe_periods():
    monitor = watcher(safe_delay=0.0)
    start = TEST_NOW - timedelta(hours=24)
    WeatherWatch.objects.bulk_create(
        WeatherWatch(time=start + i * 30 * S, status="OK", safe=True, sky="clear",
                     rain_rate=0.0, temperature=10.0 + (i % 2), sky_temperature=-20.0)
        for i in range(2870))
    shower = TEST_NOW - timedelta(minutes=10)
    record_at(monitor, shower, RAIN)  # the first decision: a change
    record_at(monitor, shower + 5 * S, {("WXT520", "RainRate"): 3.0})
    record_at(monitor, shower + 10 * S)  # dry again at once (no delay)
    body = get(HISTORY)
    assert (body["minutes"], body["bucket_seconds"]) == (1440, 87)
    assert body["start"] == "2026-11-20T12:00:00Z"
    assert 990 <= len(body["points"]) <= 1001
    assert [s["name"] for s in body["series"]] == [
        "rain_rate", "wind_speed", "wind_gust", "humidity", "temperature", "dew_point",
        "sky_minus_ambient", "pressure"]
    wet = [p for p in body["points"] if (p["values"]["rain_rate"] or 0) > 0]
    assert len(wet) == 1 and wet[0]["values"]["rain_rate"] == 12.0  # the worst, not a mean
    assert (wet[0]["status"], wet[0]["safe"]) == ("RAINING", False)
    calm = body["points"][10]["values"]
    assert calm["temperature"] == pytest.approx(10.5, abs=0.2)  # a mean of 10 and 11
    assert calm["sky_minus_ambient"] == pytest.approx(-30.5, abs=0.2)
    assert calm["wind_speed"] is None  # not in those rows
    assert body["unsafe_periods"] == [{
        "start": "2026-11-21T11:50:00Z", "end": "2026-11-21T11:50:10Z", "status": "RAINING",
        "reasons": ["RAINING: rain rate 12 mm/h (limit 0)"]}]


def test_an_unsafe_period_begun_before_the_window_is_cut_at_its_start():
    monitor = watcher()
    record_at(monitor, TEST_NOW - timedelta(hours=2), RAIN)
    body = get(HISTORY, minutes=60)
    assert (body["minutes"], body["bucket_seconds"]) == (60, 4)
    assert body["unsafe_periods"] == [{
        "start": "2026-11-21T11:00:00Z", "end": "2026-11-21T12:00:00Z", "status": "RAINING",
        "reasons": ["RAINING: rain rate 12 mm/h (limit 0)"]}]
    assert get(HISTORY, minutes=525_600)["bucket_seconds"] == 31_536


@pytest.mark.parametrize(("minutes", "problem"), [
    ("soon", "minutes must be a whole number, not 'soon'"),
    ("0", "minutes must be between 1 and 527040 (a year)"),
    ("600000", "minutes must be between 1 and 527040 (a year)")])
def test_a_bad_window_is_refused(minutes, problem):
    response = APIClient().get(HISTORY, {"minutes": minutes})
    assert response.status_code == 400
    assert response.json() == {"detail": problem}


def test_the_site_and_its_safety_timeline():
    monitor = watcher(safe_delay=0.0)
    record_at(monitor, TEST_NOW - timedelta(days=8), RAIN)  # in force when the week began
    record_at(monitor, TEST_NOW - timedelta(days=2))
    record_at(monitor, TEST_NOW - timedelta(hours=1), {("SITE", "MainsPower"): 0,
                                                       ("SITE", "DoorsOpen"): 1})
    record_at(monitor, TEST_NOW - 5 * S, {("SITE", "MainsPower"): 0})
    body = get(SITE)
    assert body["timeline_start"] == "2026-11-14T12:00:00Z"
    assert [(c["time"], c["status"], c["safe"]) for c in body["changes"]] == [
        ("2026-11-21T11:00:00Z", "POWER", False),
        ("2026-11-19T12:00:00Z", "OK", True),
        ("2026-11-14T12:00:00Z", "RAINING", False)]
    assert body["changes"][0]["reasons"] == ["POWER: mains power lost"]
    assert body["safety"]["since"] == "2026-11-21T11:00:00Z"
    values = {v["quantity"]: v for v in body["values"]}
    assert list(values) == ["doors_open", "lights_on", "shutter", "mains_power",
                            "ups_on_battery", "ups_battery_level", "intrusion",
                            "emergency_stop", "plc_mode", "night_ack", "plc_bypass"]
    assert (values["mains_power"]["text"], values["mains_power"]["alarm"]) == ("lost", True)
    assert (values["doors_open"]["text"], values["doors_open"]["alarm"]) == ("closed", False)
    assert values["shutter"]["text"] == "closed"
    assert values["ups_battery_level"]["text"] == "100.0 %"
    assert values["plc_mode"]["text"] == "auto"
    assert values["night_ack"]["text"] == "not given"


@pytest.mark.parametrize("url", [NOW, HISTORY, SITE])
def test_the_api_is_read_only(url):
    assert APIClient().post(url, {}, format="json").status_code == 405
    assert APIClient().delete(url).status_code == 405


def test_the_schema_documents_anonymous_access(tmp_path):
    out = tmp_path / "schema.json"
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json",
                 "--file", str(out))
    paths = json.loads(out.read_text())["paths"]
    for url, operation in ((NOW, "weather_now"), (HISTORY, "weather_history"),
                           (SITE, "observatory_site")):
        get_ = paths[url]["get"]
        assert get_["operationId"] == operation
        assert {} in get_["security"]  # no authentication needed
