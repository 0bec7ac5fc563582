"""The one place that writes device status: the rows of the configured devices, each
poll's outcome (latest status and history), and the history's retention.

Retention policy of DeviceStatusHistory (``prune_history``):

- the last 24 hours: every poll (one row per device every 2 s, what the agent polls);
- from 24 hours to 7 days: one row per device and minute (the first of the minute),
  plus every row whose ``connected`` differs from the row kept before it, so that an
  outage is never thinned away;
- older than 7 days: deleted.

The devices agent prunes every ten minutes; each run thins only the rows that aged past
24 hours since the previous run.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from django.db import transaction

from pyros.instruments.models import DeviceState, DeviceStatusHistory

HISTORY_KEEP = timedelta(days=7)
HISTORY_FULL = timedelta(days=1)
HISTORY_STEP = timedelta(minutes=1)
_DELETE_CHUNK = 500


@dataclass(frozen=True)
class DeviceSpec:
    """A configured device, as the status rows name it."""

    name: str
    kind: str
    channel: str = ""


@dataclass(frozen=True)
class Poll:
    """One device's answer to a status request (``status``), or why it gave none."""

    name: str
    status: dict[str, Any] | None
    error: str = ""

    @property
    def answered(self) -> bool:
        return self.status is not None


def jsonable(value: Any) -> Any:
    """A device status (a dataclass of interfaces.py) as JSON: times in ISO UTC, enums as
    their values, and non-finite numbers as null (PostgreSQL's JSON has no NaN)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def ensure_devices(specs: Sequence[DeviceSpec]) -> list[str]:
    """Create the rows of the configured devices, update their kind and channel, and
    delete the rows (and history) of devices no longer configured, so the pages never
    show a device that is gone as merely stale. Returns the names deleted.

    No transaction holds a read before a write here: on SQLite such a transaction
    fails at once ("database is locked") when another connection wrote in between."""
    wanted = {spec.name: spec for spec in specs}
    gone = list(DeviceState.objects.exclude(name__in=wanted).values_list("name", flat=True))
    if gone:
        DeviceState.objects.filter(name__in=gone).delete()
    for spec in specs:
        if not DeviceState.objects.filter(name=spec.name).update(kind=spec.kind,
                                                                 channel=spec.channel):
            DeviceState.objects.create(name=spec.name, kind=spec.kind, channel=spec.channel)
    return gone


def record_polls(polls: Iterable[Poll], now: datetime) -> None:
    """Store one round of polls: each device's latest state and one history row each.
    A device that did not answer keeps its last good data, marked stale. The
    transaction only writes (see ensure_devices)."""
    polls = list(polls)
    ids = dict(DeviceState.objects.filter(name__in=[p.name for p in polls])
               .values_list("name", "pk"))
    history = []
    with transaction.atomic():
        for poll in polls:
            pk = ids.get(poll.name)
            if pk is None:
                continue  # not configured (ensure_devices decides which are)
            row = DeviceState.objects.filter(pk=pk)
            if poll.answered:
                row.update(connected=bool(poll.status.get("connected", True)), stale=False,
                           data=poll.status, error="", polled_at=now, good_at=now)
                history.append(DeviceStatusHistory(device_id=pk, time=now,
                                                   connected=True, data=poll.status))
            else:
                row.update(connected=False, stale=True, error=poll.error[:2000],
                           polled_at=now)
                history.append(DeviceStatusHistory(device_id=pk, time=now, connected=False,
                                                   data={"error": poll.error[:2000]}))
        DeviceStatusHistory.objects.bulk_create(history)


@dataclass(frozen=True)
class Pruned:
    deleted: int  # older than the retention
    thinned: int  # removed by thinning to one row per minute


def prune_history(now: datetime, *, since: datetime | None = None,
                  keep: timedelta = HISTORY_KEEP, full: timedelta = HISTORY_FULL,
                  step: timedelta = HISTORY_STEP) -> Pruned:
    """Apply the retention policy (see the module's docstring) at ``now``. ``since`` is
    the previous run's ``now``: only rows that aged past ``full`` since then (and one
    ``step`` before, to finish a partly thinned minute) are looked at."""
    deleted, _ = DeviceStatusHistory.objects.filter(time__lt=now - keep).delete()
    start = now - keep
    if since is not None:
        start = max(start, since - full - step)
    end = now - full
    thinned = 0
    if start < end:
        devices = DeviceState.objects.values_list("pk", flat=True)
        for device in devices:
            thinned += _thin(device, start, end, step)
    return Pruned(deleted=deleted, thinned=thinned)


def _thin(device: int, start: datetime, end: datetime, step: timedelta) -> int:
    rows = (DeviceStatusHistory.objects.filter(device_id=device, time__gte=start, time__lt=end)
            .order_by("time", "id").values_list("pk", "time", "connected"))
    seconds = step.total_seconds()
    doomed: list[int] = []
    kept_bucket: int | None = None
    kept_connected: bool | None = None
    for pk, time, connected in rows.iterator(chunk_size=2000):
        bucket = int(time.timestamp() // seconds)
        if bucket != kept_bucket or connected != kept_connected:
            kept_bucket, kept_connected = bucket, connected
        else:
            doomed.append(pk)
    for first in range(0, len(doomed), _DELETE_CHUNK):
        DeviceStatusHistory.objects.filter(pk__in=doomed[first:first + _DELETE_CHUNK]).delete()
    return len(doomed)
