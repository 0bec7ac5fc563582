"""The conditions the headers give: those in force at a moment, from the changes the
majordome recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pyros.majordome.conditions import KEPT, ConditionsLog

T0 = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_each_moment_gets_the_last_change_before_it():
    log = ConditionsLog()
    assert log.at(T0) == {}
    log.record(at(0), SAFETY="OK", OBSSTATE="SCHEDULER_READY")
    log.record(at(10), OBSSTATE="OBSERVING")
    log.record(at(20), SAFETY="RAINING")
    log.record(at(25), OBSSTATE="CLOSING")
    assert log.at(at(-5)) == {"SAFETY": "OK", "OBSSTATE": "SCHEDULER_READY"}  # earliest known
    assert log.at(at(9.999)) == {"SAFETY": "OK", "OBSSTATE": "SCHEDULER_READY"}
    assert log.at(at(10)) == {"SAFETY": "OK", "OBSSTATE": "OBSERVING"}
    assert log.at(at(24)) == {"SAFETY": "RAINING", "OBSSTATE": "OBSERVING"}
    assert log.at(at(3600)) == {"SAFETY": "RAINING", "OBSSTATE": "CLOSING"}


def test_repeating_a_value_is_no_change_and_a_clock_set_back_forgets_the_future():
    log = ConditionsLog()
    log.record(at(0), SAFETY="OK")
    for second in range(1, 100):
        log.record(at(second), SAFETY="OK")
    log.record(at(100), SAFETY="RAINING")
    assert log.at(at(99)) == {"SAFETY": "OK"}
    log.record(at(50), SAFETY="NO_DATA")  # a simulated clock set back to 50 s
    assert log.at(at(100)) == {"SAFETY": "NO_DATA"}
    assert log.at(at(49)) == {"SAFETY": "OK"}


def test_the_log_is_bounded():
    log = ConditionsLog()
    for second in range(KEPT + 50):
        log.record(at(second), N=second)
    assert log.at(at(0)) == {"N": 50}  # the oldest forgotten
    assert log.at(at(KEPT + 49)) == {"N": KEPT + 49}
