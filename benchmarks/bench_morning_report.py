"""Benchmark of the morning report (issue 19's figure: ready ≤ 30 s after the night's
end). Figures, never pass/fail on time.

Run: ``pytest benchmarks/bench_morning_report.py -s`` (SQLite, or the database
``DATABASE_URL`` names). Each run is a simulated night (``tests/health/simulated.py``:
the majordome on the simulated devices at 50×, a few sequences executed, the dawn close,
the health agent's builder thread running throughout); the figures are the wall seconds
from the end-of-night line appearing to the report recorded (the builder looks every
second), and the build alone, over ``RUNS`` nights (one per run by default: on a loaded
machine the simulator's start is the fragile part; run it again for more).
"""

from __future__ import annotations

import statistics

import pytest

from pyros.accounts.profiles import ProfileLevel
from pyros.health.models import NightReport
from pyros.majordome.models import NightLogEntry
from tests.conftest import make_user
from tests.health.simulated import run_night

RUNS = 1
SEQUENCES = 1


@pytest.mark.django_db(transaction=True)
def test_morning_report_latency(grb_program, tmp_path, monkeypatch):
    observer = make_user("alice", ProfileLevel.OBSERVER, programs=[grb_program])
    after, build = [], []
    for run in range(RUNS):
        monkeypatch.setenv("PYROS_HOME", str(tmp_path / f"run-{run}"))
        NightReport.objects.all().delete()
        NightLogEntry.objects.all().delete()
        morning = run_night(observer, sequences=SEQUENCES)
        after.append(morning.wall_after_end)
        build.append(morning.build_seconds)
    print(f"\nmorning report over {RUNS} simulated nights of {SEQUENCES} sequences: "
          f"ready after the night's end median {statistics.median(after):.2f} s, max "
          f"{max(after):.2f} s (wall); build alone median {statistics.median(build):.2f} s")
