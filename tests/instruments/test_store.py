"""Device status storage: statuses as JSON, and the history's retention policy (every
poll for a day, one row a minute for a week, outages kept, nothing older)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest

from pyros.devices.interfaces import DomeStatus, ShutterState
from pyros.instruments.models import DeviceState, DeviceStatusHistory
from pyros.instruments.store import jsonable, prune_history
from tests.conftest import TEST_NOW

pytestmark = pytest.mark.django_db


def test_a_status_becomes_plain_json():
    status = DomeStatus(connected=True, shutter=ShutterState.OPENING, azimuth=math.nan,
                        moving=True, following=False, parked=False, time=TEST_NOW)
    assert jsonable(status) == {"connected": True, "shutter": "OPENING", "azimuth": None,
                                "moving": True, "following": False, "parked": False,
                                "time": "2026-11-21T12:00:00Z", "watchdog_tripped_at": None}


def rows(device: DeviceState, start: datetime, count: int, every: float,
         connected: bool = True) -> None:
    DeviceStatusHistory.objects.bulk_create(
        DeviceStatusHistory(device=device, time=start + timedelta(seconds=i * every),
                            connected=connected, data={"i": i}) for i in range(count))


def times(device: DeviceState, start: datetime, end: datetime) -> list[tuple[float, bool]]:
    """(seconds after ``start``, connected) of the rows kept in [start, end)."""
    kept = device.history.filter(time__gte=start, time__lt=end).order_by("time")
    return [((r.time - start).total_seconds(), r.connected) for r in kept]


def test_history_is_thinned_after_a_day_and_deleted_after_a_week():
    mount = DeviceState.objects.create(name="mount", kind="mount")
    dome = DeviceState.objects.create(name="dome", kind="dome")
    week_old = TEST_NOW - timedelta(days=7, minutes=5)
    two_days = TEST_NOW - timedelta(days=2)  # a whole minute: 12:00:00 on the 19th
    recent = TEST_NOW - timedelta(hours=1)
    rows(mount, week_old, 30, 2.0)  # past the retention
    rows(mount, two_days, 90, 2.0)  # three minutes of polls, 30 a minute
    rows(dome, two_days, 30, 2.0)
    rows(mount, recent, 60, 2.0)  # within the day: untouched
    # an outage of 10 s inside the third minute of the mount, then back
    DeviceStatusHistory.objects.filter(
        device=mount, time__gte=two_days + timedelta(seconds=140),
        time__lt=two_days + timedelta(seconds=150)).update(connected=False)

    pruned = prune_history(TEST_NOW)

    assert (pruned.deleted, pruned.thinned) == (30, 90 - 5 + 30 - 1)
    assert not DeviceStatusHistory.objects.filter(time__lt=TEST_NOW - timedelta(days=7)).exists()
    assert times(mount, two_days, two_days + timedelta(minutes=3)) == [
        (0.0, True), (60.0, True), (120.0, True), (140.0, False), (150.0, True)]
    assert times(dome, two_days, two_days + timedelta(minutes=1)) == [(0.0, True)]
    assert mount.history.filter(time__gte=recent).count() == 60

    again = prune_history(TEST_NOW + timedelta(minutes=10), since=TEST_NOW)
    assert (again.deleted, again.thinned) == (0, 0)


def test_each_run_thins_what_aged_since_the_last_one():
    mount = DeviceState.objects.create(name="mount", kind="mount")
    day_ago = TEST_NOW - timedelta(days=1)
    start = day_ago - timedelta(seconds=30)
    rows(mount, start, 60, 2.0)  # from 11:59:30 to 12:01:28 the day before, every 2 s
    first = prune_history(TEST_NOW)
    assert first.thinned == 14  # 11:59:30 to 11:59:58: one kept
    later = prune_history(TEST_NOW + timedelta(seconds=60), since=TEST_NOW)
    assert later.thinned == 29  # 12:00:00 to 12:00:58: one kept
    kept = [seconds for seconds, _ in times(mount, start, TEST_NOW)]
    assert kept == [0.0, 30.0, *range(90, 120, 2)]  # from 12:01:00: not a day old yet
