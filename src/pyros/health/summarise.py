"""A night's summaries: the figures of ``sources`` reduced to one ``NightMetric`` row
per (channel, metric, key), written in one transaction. Computing a night again gives
the same rows (a row the night no longer has is deleted), so the health agent after
each night, ``pyros health summarise --night DATE`` and a re-analysis can all call it.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from pyros import clock
from pyros.config.schema import UnitConfig
from pyros.health.models import NightMetric
from pyros.health.sources import SOURCES, Measure, Source, gather, window_of


def reduce(measure: Measure) -> tuple[float, float | None]:
    """(value, spread) of a measure's values, as its ``how`` says."""
    values = measure.values
    spread = statistics.pstdev(values) if len(values) > 1 else None
    if measure.how == "sum":
        return float(sum(values)), None
    if measure.how == "mean":
        return statistics.fmean(values), spread
    return float(statistics.median(values)), spread


@dataclass(frozen=True)
class Summary:
    night: date
    written: int
    deleted: int


def summarise_night(night: date, unit: UnitConfig,
                    sources: list[Source] | None = None) -> Summary:
    """Compute and store the summaries of ``night`` (see the module)."""
    measures = [m for m in gather(window_of(night, unit.site.longitude),
                                  SOURCES if sources is None else sources) if m.values]
    now = clock.now()
    kept = []
    with transaction.atomic():
        for measure in measures:
            value, spread = reduce(measure)
            row, _ = NightMetric.objects.update_or_create(
                night=night, channel=measure.channel, metric=measure.metric,
                key=measure.key,
                defaults={"value": value, "count": len(measure.values), "spread": spread,
                          "computed_at": now})
            kept.append(row.pk)
        deleted, _ = NightMetric.objects.filter(night=night).exclude(pk__in=kept).delete()
    return Summary(night, len(kept), deleted)
