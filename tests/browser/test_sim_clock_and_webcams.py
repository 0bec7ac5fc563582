"""An anonymous visitor, in a real browser, during a simulated night: the banner shows the
simulated time and it moves; the weather plot moves as readings arrive; the Webcams page,
reached from the menu, shows the all-sky frame and loads it again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from pyros import clock
from pyros.clock import SimulatedClock
from tests.browser.conftest import (  # noqa: F401
    artifacts,
    browser,
    page,
    wait_until_decoded,
)
from tests.monitoring.conftest import record_at, watcher

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIVE = 30_000  # ms: generous, the machine may be busy
FIRST_FRAME = 180_000  # ms: the first frame computes the night's sky (seconds; more if busy)
START = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)  # 22:18 at San Pedro Mártir


@pytest.fixture
def simulated_night() -> Iterator[SimulatedClock]:
    sim = SimulatedClock(START, speed=60.0, run="sim browser night")
    previous = clock.set_clock(sim)
    yield sim
    clock.set_clock(previous)


def test_the_banner_shows_the_simulated_time_and_it_moves(page: Page,  # noqa: F811
                                                          simulated_night, artifacts):  # noqa: F811
    monitor = watcher()
    record_at(monitor, clock.now() - timedelta(minutes=4))
    record_at(monitor, clock.now() - timedelta(minutes=2))
    page.goto("/weather/")
    banner = page.locator("#sim-clock")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Simulated clock")
    expect(banner).to_contain_text("×60")
    shown = page.locator("#sim-clock-time")
    first = shown.inner_text()
    assert first.startswith("2026-11-22 0")
    expect(shown).not_to_have_text(first, timeout=LIVE)  # a wall second is a simulated minute
    later = shown.inner_text()
    assert datetime.fromisoformat(later + "+00:00") > datetime.fromisoformat(first + "+00:00")

    line = page.locator('#plots-day path.series[data-series="temperature"]')
    expect(line).to_have_attribute("data-points", "2", timeout=LIVE)
    expect(page.locator("#plots-day p.plot-run")).to_contain_text("sim browser night")
    record_at(monitor, clock.now())  # a new reading: the plot draws it without a reload
    expect(line).to_have_attribute("data-points", "3", timeout=LIVE)
    page.screenshot(path=str(artifacts / "sim-clock-weather.png"), full_page=True)


def test_the_webcams_page_loads_the_all_sky_frame_and_refreshes_it(page: Page,  # noqa: F811
                                                                   simulated_night,
                                                                   artifacts):  # noqa: F811
    page.goto("/")
    page.get_by_role("link", name="Webcams", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Webcams")
    expect(page.locator("#sim-clock")).to_be_visible()
    image = page.locator("img.webcam-image").first
    wait_until_decoded(image, timeout_s=FIRST_FRAME / 1000)
    assert image.evaluate("img => img.naturalWidth") == 480
    first = image.get_attribute("src")
    expect(image).to_have_attribute("data-loads", "1", timeout=FIRST_FRAME)  # every 5 s
    expect(image).to_have_attribute("data-loads", "2", timeout=FIRST_FRAME)
    assert image.get_attribute("src") != first and "t=" in image.get_attribute("src")
    wait_until_decoded(image, timeout_s=LIVE / 1000)
    page.screenshot(path=str(artifacts / "webcams.png"), full_page=True)
