"""A visitor, not logged in, watches the Weather page in a real browser: the plots are
drawn in SVG with the unsafe periods shaded, and the decision and values follow the
database without reloading when the rain starts."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from pyros.monitoring.models import SafetyState, WeatherWatch
from tests.browser.conftest import artifacts, browser, page  # noqa: F401
from tests.conftest import TEST_NOW
from tests.monitoring.conftest import RAIN, record_at, watcher

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIVE = 20_000  # ms: the page reads the current state every 2 s; a busy machine is slow


def a_week_of_weather() -> None:
    """Every 10 minutes for a week, every 2 minutes for the last day: a daily cycle of
    temperature and humidity, some wind, and a shower 6 hours ago."""
    rows = []
    moment = TEST_NOW - timedelta(days=7)
    shower = (TEST_NOW - timedelta(hours=6), TEST_NOW - timedelta(hours=5))
    previous = None
    while moment < TEST_NOW - timedelta(minutes=2):
        hours = (moment - TEST_NOW).total_seconds() / 3600
        day = math.sin(2 * math.pi * (hours + 6) / 24)
        raining = shower[0] <= moment < shower[1]
        status = "RAINING" if raining else "OK"
        rows.append(WeatherWatch(
            time=moment, status=status, safe=not raining, status_changed=status != previous,
            reasons=["RAINING: rain rate 4 mm/h (limit 0)"] if raining else [], sky="clear",
            rain_rate=4.0 + 2 * math.sin(hours * 7) if raining else 0.0,
            wind_speed=4 + 3 * abs(math.sin(hours / 5)),
            wind_gust=7 + 5 * abs(math.sin(hours / 5)),
            humidity=55 - 20 * day + (30 if raining else 0), temperature=8 + 6 * day,
            dew_point=1 + 2 * day, sky_temperature=-22 + 6 * day, pressure=770.0))
        previous = status
        step = 2 if moment > TEST_NOW - timedelta(days=1) else 10
        moment += timedelta(minutes=step)
    WeatherWatch.objects.bulk_create(rows)
    SafetyState.objects.create(safe=True, status="OK", since=shower[1],
                               changed_at=shower[1], decided_at=rows[-1].time)


def test_the_weather_page_plots_and_follows_the_weather(page: Page, artifacts):  # noqa: F811
    a_week_of_weather()
    monitor = watcher()
    record_at(monitor, TEST_NOW - timedelta(seconds=1))
    page.goto("/weather/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Weather")
    status = page.locator("#safety-status")
    expect(status).to_have_text("OK")
    day = page.locator("#plots-day")
    rain_line = day.locator('path.series[data-series="rain_rate"]')
    expect(rain_line).to_have_count(1)
    expect(day.locator("figure.plot svg")).to_have_count(5)
    expect(day.locator("rect.unsafe")).to_have_count(5)  # the shower, on each plot
    expect(page.locator("#plots-week figure.plot svg")).to_have_count(5)
    # 6 hours ago on a 24-hour axis from x=40 to x=632.
    assert float(day.locator("rect.unsafe").first.get_attribute("x")) == pytest.approx(
        40 + 592 * 18 / 24, abs=1)
    points = int(day.locator('path.series[data-series="temperature"]')
                 .get_attribute("data-points"))
    assert 700 <= points <= 1001
    page.evaluate("window.notReloaded = true")

    record_at(monitor, TEST_NOW, RAIN)
    expect(status).to_have_text("RAINING", timeout=LIVE)
    expect(page.locator("#safety-safe")).to_have_text("Unsafe")
    expect(page.locator("#safety-reasons li")).to_have_text(
        ["RAINING: rain rate 12 mm/h (limit 0)"])
    expect(page.locator('#values tr[data-quantity="rain_rate"] td.value')).to_have_text(
        "12.0 mm/h")
    expect(page.locator("#safety")).to_have_class("card safety is-unsafe")
    assert page.evaluate("window.notReloaded") is True
    page.screenshot(path=str(artifacts / "weather-live.png"), full_page=True)


def test_the_observatory_page_draws_the_timeline(page: Page, artifacts):  # noqa: F811
    a_week_of_weather()
    record_at(watcher(), TEST_NOW, {("SITE", "DoorsOpen"): 1})
    page.goto("/observatory/")
    expect(page.locator("#timeline svg rect.segment")).to_have_count(3)
    expect(page.locator("#timeline rect.segment-RAINING")).to_have_count(1)
    expect(page.locator('#values tr[data-quantity="doors_open"] td.value')).to_have_text("open")
    expect(page.locator("#changes tbody tr")).to_have_count(3)
    page.screenshot(path=str(artifacts / "observatory.png"), full_page=True)
