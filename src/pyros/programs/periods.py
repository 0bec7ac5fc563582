"""Six-month observing periods: A from 1 January, B from 1 July (plain Python)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class PeriodBounds:
    name: str
    start: datetime
    end: datetime


def period_containing(instant: datetime) -> PeriodBounds:
    instant = instant.astimezone(UTC)
    year = instant.year
    if instant.month <= 6:
        return PeriodBounds(f"{year}A", datetime(year, 1, 1, tzinfo=UTC),
                            datetime(year, 7, 1, tzinfo=UTC))
    return PeriodBounds(f"{year}B", datetime(year, 7, 1, tzinfo=UTC),
                        datetime(year + 1, 1, 1, tzinfo=UTC))


def next_period(bounds: PeriodBounds) -> PeriodBounds:
    return period_containing(bounds.end)
