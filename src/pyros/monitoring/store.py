"""The one place that writes monitoring data: each period's WeatherWatch and SiteWatch
rows and the SafetyState, and the history's retention.

Retention policy (``prune``), for WeatherWatch and SiteWatch alike:

- the last 24 hours: every period (at the default 5 s, 17,280 rows a table);
- from 24 hours to 30 days: one row per 5 minutes (the first of each 5 minutes, UTC),
  plus every row where the global status changed (``status_changed``), so that a
  shower or a power cut is never thinned away: 8,352 rows;
- from 30 days to a year: one row per hour, plus the status changes: 8,040 rows;
- older than a year: deleted.

A year of history is thus about 16,400 rows a table beyond the last day, plus one row
per status change; with the last day at 5 s, about 34,000 rows a table in all, a few
tens of megabytes. The history API plots any window from at most ~1000 points.

The agent prunes every ten minutes; each run thins only the rows that aged past a
boundary since the previous run (``since``), so a run costs milliseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import models, transaction

from pyros.monitoring.models import SafetyState, SiteWatch, WeatherWatch
from pyros.monitoring.monitor import Observation
from pyros.monitoring.synthesis import Value

FULL = timedelta(days=1)
MEDIUM = timedelta(days=30)
MEDIUM_STEP = timedelta(minutes=5)
KEEP = timedelta(days=365)
LONG_STEP = timedelta(hours=1)
WATCHES: tuple[type[WeatherWatch] | type[SiteWatch], ...] = (WeatherWatch, SiteWatch)
_DELETE_CHUNK = 1000


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _plain(value: float | bool | str | None) -> float | bool | str | None:
    """JSON-safe: PostgreSQL's JSON has no NaN (the synthesis refuses them anyway)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def value_json(value: Value) -> dict[str, Any]:
    """One quantity as stored: defaults left out, since a year of rows adds up."""
    data: dict[str, Any] = {"value": _plain(value.value), "source": value.source,
                            "measured_at": iso(value.measured_at)}
    if value.fallback:
        data["fallback"] = True
    if value.reason:
        data["reason"] = value.reason[:1000]
    return data


@dataclass(frozen=True)
class Recorded:
    """What storing one observation changed, compared with the stored state before."""

    status_changed: bool
    safe_changed: bool
    previous_status: str | None  # None: there was no decision before
    previous_safe: bool | None


def record(observation: Observation) -> Recorded:
    """Store one period: a WeatherWatch row, a SiteWatch row, and the SafetyState, in one
    transaction. Changes are judged against the stored state, so that a restarted agent
    does not announce a status that did not change."""
    decision, synthesis = observation.decision, observation.synthesis
    previous = (SafetyState.objects.filter(pk=SafetyState.SINGLETON_ID)
                .values_list("status", "safe").first())
    status_changed = previous is None or previous[0] != decision.status
    safe_changed = previous is None or previous[1] != decision.safe
    now = decision.time
    common = {"time": now, "status": decision.status.value, "safe": decision.safe,
              "reasons": list(decision.reasons), "status_changed": status_changed,
              "plc_error": observation.plc_error[:2000]}
    weather = synthesis.group("weather")
    columns = {}
    for name in WeatherWatch.COLUMNS:
        value = weather[name].value if name in weather else None
        columns[name] = _plain(value) if isinstance(value, int | float) and \
            not isinstance(value, bool) else None
    state = {"safe": decision.safe, "status": decision.status.value,
             "reasons": list(decision.reasons), "sky": decision.conditions.sky,
             "sky_brightness": decision.conditions.sky_brightness,
             "plc_error": observation.plc_error[:2000], "decided_at": now}
    if status_changed:
        state["changed_at"] = now
    if safe_changed:
        state["since"] = now
    with transaction.atomic():
        WeatherWatch.objects.create(
            **common, **columns, sky=decision.conditions.sky,
            sky_brightness=decision.conditions.sky_brightness,
            values={q: value_json(v) for q, v in weather.items()})
        SiteWatch.objects.create(**common, values={q: value_json(v) for q, v in
                                                    synthesis.group("site").items()})
        if not SafetyState.objects.filter(pk=SafetyState.SINGLETON_ID).update(**state):
            SafetyState.objects.create(pk=SafetyState.SINGLETON_ID, **state)
    return Recorded(status_changed, safe_changed,
                    previous[0] if previous else None, previous[1] if previous else None)


@dataclass(frozen=True)
class Pruned:
    deleted: int  # older than a year
    thinned: int  # removed by thinning


def prune(now: datetime, *, since: datetime | None = None) -> Pruned:
    """Apply the retention policy (see the module's docstring) at ``now``. ``since`` is
    the previous run's ``now``: only the rows that aged past a boundary since then (and
    one step before, to finish a partly thinned bucket) are looked at."""
    deleted = thinned = 0
    for model in WATCHES:
        gone, _ = model.objects.filter(time__lt=now - KEEP).delete()
        deleted += gone
        for age, step in ((FULL, MEDIUM_STEP), (MEDIUM, LONG_STEP)):
            start = now - KEEP
            if since is not None:
                start = max(start, since - age - step)
            if start < now - age:
                thinned += _thin(model, start, now - age, step)
    return Pruned(deleted=deleted, thinned=thinned)


def _thin(model: type[models.Model], start: datetime, end: datetime, step: timedelta) -> int:
    """Keep the first row of each ``step`` (aligned on UTC) in [start, end), and every
    row where the status changed; delete the others."""
    rows = (model.objects.filter(time__gte=start, time__lt=end).order_by("time", "id")
            .values_list("pk", "time", "status_changed"))
    seconds = step.total_seconds()
    doomed: list[int] = []
    kept_bucket: int | None = None
    for pk, time, changed in rows.iterator(chunk_size=5000):
        bucket = int(time.timestamp() // seconds)
        if changed or bucket != kept_bucket:
            kept_bucket = bucket
        else:
            doomed.append(pk)
    for first in range(0, len(doomed), _DELETE_CHUNK):
        model.objects.filter(pk__in=doomed[first:first + _DELETE_CHUNK]).delete()
    return len(doomed)
