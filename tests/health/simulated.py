"""A simulated night with its morning report, for the test and the benchmark: the
majordome of ``tests/majordome/night.py`` (simulated devices and clock at 50×) executes
a sequence, the clock is moved to the morning, the majordome closes and logs the end of
the night, and the health agent — its builder thread running the whole time, as in
operation — builds the report. What it measures: wall seconds from the end-of-night
line appearing to the report recorded."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from pyros.health.agent import HealthAgent
from pyros.health.models import NightReport
from pyros.majordome.models import LogKind, NightLogEntry
from pyros.observations.lifecycle import SequenceStatus
from pyros.observations.models import Sequence
from tests.majordome.night import Night, in_the_sky, sequence
from tests.waiting import GENEROUS

MIDNIGHT = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)  # 20:18 local mean time: dark
MORNING = datetime(2026, 11, 22, 14, 30, tzinfo=UTC)  # the sun up at San Pedro Mártir


@dataclass(frozen=True)
class Morning:
    report: NightReport
    end: NightLogEntry
    wall_after_end: float  # seconds from the line seen to the report recorded
    build_seconds: float


def run_night(owner, *, sequences: int = 1) -> Morning:
    night = Night(MIDNIGHT, owner, start_early=600.0)
    agent = HealthAgent("health", unit=night.unit)
    try:
        agent.init()  # its builder thread, looking every second
        specs = [sequence(f"target-{n}", *in_the_sky(MIDNIGHT, night.unit, hours_east=n * 0.3),
                          obs_type="IMMEDIATE", minutes=10) for n in range(sequences)]
        request = night.submit(*specs)
        night.plan()
        night.tick_until(lambda: Sequence.objects.filter(
            request=request, status=SequenceStatus.EXECUTED).count() == sequences,
            wall=GENEROUS * 2 * sequences, what="the sequences executed")
        night.jump(MORNING)
        night.tick_until(lambda: NightLogEntry.objects.filter(kind=LogKind.NIGHT).exists(),
                         what="the end of the night")
        seen = time.monotonic()
        night.tick_until(lambda: NightReport.objects.exists(), wall=GENEROUS,
                         what="the morning report")
        wall = time.monotonic() - seen
        report = NightReport.objects.get()
        return Morning(report, NightLogEntry.objects.get(kind=LogKind.NIGHT), wall,
                       report.seconds)
    finally:
        agent.stop()
        agent._thread.join(timeout=GENEROUS)
        night.stop()
