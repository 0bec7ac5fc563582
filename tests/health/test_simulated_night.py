"""The morning report of a simulated night: the majordome logs the end of the night once
it is closed in the morning, and the health agent builds the report from it by itself."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pyros.health.models import NightMetric
from pyros.majordome.models import LogKind, NightLogEntry
from tests.health.simulated import run_night

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_report_follows_the_end_of_a_simulated_night(observer, tmp_path, monkeypatch):
    monkeypatch.setenv("PYROS_HOME", str(tmp_path))
    morning = run_night(observer)
    night = date(2026, 11, 21)
    assert morning.end.night == night
    assert morning.end.detail["key"] == "night-2026-11-21:end"
    assert NightLogEntry.objects.filter(kind=LogKind.NIGHT).count() == 1
    # Closed and parked before the line: the close came first.
    last_state = NightLogEntry.objects.filter(kind=LogKind.STATE,
                                              time__lte=morning.end.time).last()
    assert last_state.detail["to"] == "SCHEDULER_STANDBY"
    report = morning.report
    assert report.night == night and report.night_end == morning.end.time
    html = Path(report.path).read_text()
    assert str(tmp_path) in report.path and "/.reports/" in report.path
    assert 'id="executed-count">1</strong> of 1 planned' in html
    assert "<svg" in html and "<script" not in html and 'href="/' not in html
    frames = NightMetric.objects.get(night=night, channel="VIS", metric="frames",
                                     key="LIGHT")
    assert frames.value == 2  # the sequence's two r frames on VIS
    print(f"\nreport ready {morning.wall_after_end:.2f} s (wall) after the night's end "
          f"was logged; built in {morning.build_seconds:.2f} s")
