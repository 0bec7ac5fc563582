"""A simulated clock is never hidden: every page carries its banner (time and speed,
kept moving by a static script), /api/clock/ says what runs, and readings made under it
are never drawn on the same axis as real-time ones."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from pyros import clock
from pyros.clock import RealClock, SimulatedClock, clock_environment, install_from_environment
from pyros.monitoring.api import weather_history
from tests.monitoring.conftest import record_at, watcher

pytestmark = pytest.mark.django_db
START = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)


@pytest.fixture
def running() -> Iterator[SimulatedClock]:
    sim = SimulatedClock(START, speed=60.0, run="sim test run")
    previous = clock.set_clock(sim)
    yield sim
    clock.set_clock(previous)


@pytest.mark.parametrize("url", ["/", "/weather/", "/observatory/", "/schedule/", "/alerts/",
                                 "/webcams/", "/login/"])
def test_every_page_shows_the_simulated_time_and_speed(running, url):
    html = Client().get(url).content.decode()
    assert 'id="sim-clock"' in html and "Simulated clock" in html
    assert 'data-speed="60.0"' in html and "×60" in html
    assert re.search(r'id="sim-clock-time">2026-11-22 \d\d:\d\d:\d\d<', html)
    assert 'data-url="/api/clock/"' in html and "/static/pyros/clock.js" in html
    assert "sim test run" in html


def test_a_stepped_clock_says_so():
    html = Client().get("/weather/").content.decode()  # the suite's clock: stepped
    assert "Simulated clock" in html and "stepped" in html


def test_the_real_clock_has_no_banner():
    previous = clock.set_clock(RealClock())
    try:
        html = Client().get("/weather/").content.decode()
        answer = Client().get("/api/clock/").json()
    finally:
        clock.set_clock(previous)
    assert 'id="sim-clock"' not in html and "clock.js" not in html
    assert answer["simulated"] is False and answer["speed"] == 1.0 and answer["run"] == ""


def test_the_api_exposes_the_clock_to_anyone(running):
    answer = Client().get("/api/clock/").json()
    assert answer["simulated"] is True and answer["speed"] == 60.0
    assert answer["run"] == "sim test run"
    now = datetime.fromisoformat(answer["now"])
    assert START <= now < START + timedelta(hours=2)
    assert abs(datetime.fromisoformat(answer["wall"]) - datetime.now(UTC)) < timedelta(minutes=1)
    assert answer["tonight"] == "2026-11-21"  # 20:18 local at San Pedro Mártir


def test_every_process_of_a_run_names_it_alike():
    environment = clock_environment(START, speed=20.0)
    previous = clock.get_clock()
    try:
        first = install_from_environment(environment).run
        second = install_from_environment(environment).run
    finally:
        clock.set_clock(previous)
    assert first == second and first.startswith("sim 2026-11-22T04:00:00 x20")
    later = clock_environment(START, speed=20.0)
    later["PYROS_CLOCK_EPOCH"] = repr(float(later["PYROS_CLOCK_EPOCH"]) + 5)
    try:
        assert install_from_environment(later).run != first  # another run, another name
    finally:
        clock.set_clock(previous)


def test_simulated_readings_never_share_an_axis_with_real_ones(running):
    now = clock.now()
    record_at(watcher(), now - timedelta(minutes=5))
    record_at(watcher(), now - timedelta(minutes=1))
    simulated = weather_history(60)
    assert len(simulated.points) == 2 and simulated.run == "sim test run"
    other = SimulatedClock(now, run="another run")
    clock.set_clock(other)
    assert weather_history(60).points == []  # not this run's readings
    record_at(watcher(), now - timedelta(minutes=2))
    assert len(weather_history(60).points) == 1
    clock.set_clock(running)
    assert len(weather_history(60).points) == 2
