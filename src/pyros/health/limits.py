"""A night's figures against the thresholds of ``[health.thresholds]``: the warnings the
Observatory and System pages and the morning report show. Plain Python."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from pyros.config.health import Threshold
from pyros.health.metrics import METRICS


@dataclass(frozen=True)
class Figure:
    """One stored figure, as the checks read it."""

    night: date
    channel: str
    metric: str
    key: str
    value: float


@dataclass(frozen=True)
class HealthWarning:
    night: date
    channel: str
    metric: str
    key: str
    value: float
    bound: float
    above: bool

    @property
    def message(self) -> str:
        info = METRICS[self.metric]
        where = " ".join(part for part in (self.channel, self.key) if part)
        side = "above the maximum" if self.above else "below the minimum"
        return (f"{info.title}{f' ({where})' if where else ''} on {self.night}: "
                f"{self.value:.4g} {info.unit}, {side} {self.bound:g}")


def check(figures: Iterable[Figure], thresholds: Mapping[str, Threshold]) -> list[HealthWarning]:
    """The figures outside their metric's threshold, in the order given."""
    warnings = []
    for figure in figures:
        limit = thresholds.get(figure.metric)
        if limit is None:
            continue
        if limit.max is not None and figure.value > limit.max:
            warnings.append(HealthWarning(figure.night, figure.channel, figure.metric, figure.key,
                                    figure.value, limit.max, True))
        elif limit.min is not None and figure.value < limit.min:
            warnings.append(HealthWarning(figure.night, figure.channel, figure.metric, figure.key,
                                    figure.value, limit.min, False))
    return warnings
