"""The Weather and Observatory pages: open to anonymous visitors, readable without
JavaScript (the values, the decision and its reasons are in the HTML), and linked from
the home page and the top bar."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from pyros.accounts.profiles import ProfileLevel
from tests.conftest import TEST_NOW, make_user
from tests.monitoring.conftest import RAIN, record_at, watcher

pytestmark = pytest.mark.django_db


def page(url: str, client: Client | None = None) -> str:
    response = (client or Client()).get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_weather_page_shows_values_validity_and_the_decision():
    record_at(watcher(), TEST_NOW - timedelta(seconds=3), RAIN, invalid=("VantagePro",))
    html = page("/weather/")
    assert "<h1>Weather</h1>" in html
    assert '<span id="safety-status" class="status status-RAINING">RAINING</span>' in html
    assert "<strong id=\"safety-safe\">Unsafe</strong>" in html
    assert "<li>RAINING: rain rate 12 mm/h (limit 0)</li>" in html
    assert '<tr data-quantity="rain_rate">' in html
    assert '<td class="value">12.0 mm/h</td>' in html
    assert "WXT520.RainRate" in html and "at 11:59:57" in html
    assert '<span class="badge badge-alive">valid</span>' in html
    assert 'id="safety-stale" class="notice" hidden' in html  # decided 3 s ago: current
    assert 'data-minutes="1440"' in html and 'data-minutes="10080"' in html
    assert '"rain_rate": 0.0' in html and '"humidity": 90.0' in html  # the plot limits
    assert "/static/monitoring/monitoring.js" in html


def test_a_missing_value_says_why_on_the_page():
    record_at(watcher(), TEST_NOW, invalid=("WXT520",))
    html = page("/weather/")
    assert '<tr data-quantity="humidity" class="is-missing">' in html
    assert '<span class="badge badge-dead">missing</span>' in html
    assert "WXT520.OutsideHumidity: flagged invalid by the PLC" in html


def test_without_a_decision_the_pages_say_so():
    for url in ("/weather/", "/observatory/"):
        html = page(url)
        assert "NO_DATA" in html and "No reading stored yet." in html
        assert "is the monitoring agent running" in html


def test_the_observatory_page_shows_the_site_and_the_timeline():
    monitor = watcher(safe_delay=0.0)
    record_at(monitor, TEST_NOW - timedelta(hours=3))
    record_at(monitor, TEST_NOW - timedelta(minutes=1), {("SITE", "EmergencyStop"): 1,
                                                         ("SITE", "Shutter"): "moving"})
    html = page("/observatory/")
    assert "<h1>Observatory</h1>" in html
    assert '<span id="safety-status" class="status status-EMERGENCY">EMERGENCY</span>' in html
    assert '<tr data-quantity="emergency_stop" class="is-alarm">' in html
    assert '<td class="value">pressed</td>' in html
    assert '<td class="value">moving</td>' in html
    assert html.index("2026-11-21 11:59:00") < html.index("2026-11-21 09:00:00")  # newest first
    assert "EMERGENCY: emergency stop pressed" in html
    assert 'id="timeline"' in html


def test_every_profile_reaches_both_pages_from_home_and_the_top_bar(initial_data):
    anonymous = page("/")
    for client in (Client(), _logged_in(make_user("victor", ProfileLevel.VISITOR))):
        html = page("/", client)
        assert '<a class="tile" href="/weather/"><h2>Weather</h2>' in html
        assert '<a class="tile" href="/observatory/"><h2>Observatory</h2>' in html
        assert '<a href="/weather/">Weather</a>' in html
        assert '<a href="/observatory/">Observatory</a>' in html
        assert page("/weather/", client) and page("/observatory/", client)
    assert "Log in" in anonymous


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
