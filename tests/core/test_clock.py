import time
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
    assert 3600.0 <= elapsed < 3600.0 * 30  # seconds of the wall, not an hour


def test_a_clock_changes_pace_without_a_jump():
    sim = SimulatedClock(START, speed=1000.0)
    sim.set_speed(0.0)  # stopped where it was
    stopped = sim.now()
    assert stopped >= START
    time.sleep(0.01)
    assert sim.now() == stopped
    sim.set_speed(1000.0)
    sim.sleep(100.0)
    assert sim.now() >= stopped + timedelta(seconds=100)
    with pytest.raises(ValueError, match=">= 0"):
        sim.set_speed(-1.0)


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


def test_processes_started_together_agree_on_the_simulated_time():
    from datetime import UTC, datetime

    from pyros import clock as clock_module

    start = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
    environment = clock_module.clock_environment(start, speed=10.0)
    previous = clock_module.get_clock()
    try:
        first = clock_module.install_from_environment(environment).now()
        second = clock_module.install_from_environment(environment).now()
    finally:
        clock_module.set_clock(previous)
    assert abs((second - first).total_seconds()) < 0.5
    assert abs((first - start).total_seconds()) < 5.0


def test_a_bad_simulated_clock_is_refused_clearly():
    import pytest

    from pyros import clock as clock_module

    with pytest.raises(ValueError, match="PYROS_CLOCK_START needs a timezone"):
        clock_module.install_from_environment({"PYROS_CLOCK_START": "2026-11-22T04:00:00"})
    assert clock_module.install_from_environment({}) is clock_module.get_clock()
