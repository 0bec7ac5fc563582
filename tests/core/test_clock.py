from datetime import UTC, datetime, timedelta

import pytest

from pyros import clock
from pyros.clock import RealClock, SimulatedClock

START = datetime(2026, 11, 21, 22, 0, tzinfo=UTC)


def test_stepped_clock_moves_only_when_told():
    sim = SimulatedClock(START)
    assert sim.now() == START
    sim.advance(90)
    assert sim.now() == START + timedelta(seconds=90)
    sim.sleep(30)  # a stepped clock lets the time pass at once
    assert sim.now() == START + timedelta(seconds=120)
    sim.set(datetime(2027, 1, 1, tzinfo=UTC))
    assert sim.now().year == 2027


def test_fast_clock_runs_faster_than_the_wall():
    sim = SimulatedClock(START, speed=3600.0)
    sim.sleep(3600.0)  # one simulated hour takes one wall second at this speed
    elapsed = (sim.now() - START).total_seconds()
    assert 3600.0 <= elapsed < 3600.0 * 3


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        SimulatedClock(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match=">= 0"):
        SimulatedClock(START, speed=-1)


def test_process_clock_is_injectable(simulated_clock):
    assert clock.now() == simulated_clock.now()
    previous = clock.set_clock(RealClock())
    try:
        assert abs((clock.now() - datetime.now(UTC)).total_seconds()) < 5
    finally:
        clock.set_clock(previous)
