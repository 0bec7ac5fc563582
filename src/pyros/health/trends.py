"""Reading the summaries back: a metric's series over the last days (for the plots),
and the warnings of the recent nights (for the pages and the report)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from pyros.config.schema import UnitConfig
from pyros.health.limits import Figure, HealthWarning, check
from pyros.health.models import NightMetric


@dataclass(frozen=True)
class Series:
    metric: str
    channel: str
    key: str
    points: list[tuple[date, float]]

    @property
    def label(self) -> str:
        return " ".join(part for part in (self.channel, self.key) if part) or "unit"


def series(metric: str, last: date, days: int) -> list[Series]:
    """Each (channel, key) of ``metric`` over the ``days`` nights ending at ``last``."""
    rows = NightMetric.objects.filter(metric=metric, night__gt=last - timedelta(days=days),
                                      night__lte=last).order_by("night")
    grouped: dict[tuple[str, str], list[tuple[date, float]]] = defaultdict(list)
    for night, channel, key, value in rows.values_list("night", "channel", "key", "value"):
        grouped[(channel, key)].append((night, value))
    return [Series(metric, channel, key, points)
            for (channel, key), points in sorted(grouped.items())]


def figures(nights_from: date, nights_to: date) -> list[Figure]:
    rows = NightMetric.objects.filter(night__gte=nights_from, night__lte=nights_to)
    return [Figure(*row) for row in rows.values_list("night", "channel", "metric", "key",
                                                     "value")]


def warnings_between(unit: UnitConfig, first: date, last: date) -> list[HealthWarning]:
    return check(figures(first, last), unit.health.thresholds)


def recent_warnings(unit: UnitConfig, today: date) -> list[HealthWarning]:
    """The warnings of the nights of the last ``[health] warning_days`` days, newest
    night first."""
    found = warnings_between(unit, today - timedelta(days=unit.health.warning_days), today)
    return sorted(found, key=lambda w: (w.night, w.channel, w.metric, w.key), reverse=True)
