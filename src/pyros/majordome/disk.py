"""Whether tonight's plan fits on the archive's disk: the majordome's ``disk_room`` input.

The estimate counts the light frames of the current plan's sequences still to come
(PLANNED, their slot not over), per channel, from their exposure plans, and sizes them
with what their analysis adds and the night's calibrations (``archive.space``). It is
compared with the free space less ``[archive] min_free_gb``. The state table uses it
only before the dome opens (``states.GOALS``): a night already under way is not
abandoned for it, while a night not yet started — or started again after rain, with
what is left of its plan — is not begun on a disk it would fill.

It reads the plan and the disk once a minute at most (``every`` wall seconds), not at
each of the majordome's decisions, and says in the night log when the verdict changes,
with the figures.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Sum

from pyros.archive import space
from pyros.config.schema import UnitConfig
from pyros.majordome import store
from pyros.majordome.models import LogKind
from pyros.observations.lifecycle import SequenceStatus
from pyros.observations.models import Plan
from pyros.scheduling import store as scheduling_store

CHECK_EVERY = 60.0  # wall seconds between two estimates


@dataclass(frozen=True)
class DiskVerdict:
    room: bool
    estimate: int  # bytes the rest of the night will write
    free: int
    margin: int

    @property
    def reason(self) -> str:
        return space.describe(self.estimate, self.free, self.margin)


def planned_images(night: date, now: datetime) -> dict[str, int]:
    """Light frames per detector of the current plan's sequences still to come."""
    schedule = scheduling_store.current_schedule(night)
    if schedule is None:
        return {}
    coming = schedule.entries.filter(sequence__status=SequenceStatus.PLANNED,
                                     end__gt=now).values("sequence_id")
    rows = Plan.objects.filter(album__sequence_id__in=coming) \
        .values("album__detector").annotate(images=Sum("nb_images"))
    return {row["album__detector"]: int(row["images"] or 0) for row in rows}


def estimate_night(unit: UnitConfig, night: date, now: datetime) -> space.NightEstimate:
    return space.night_bytes(unit, planned_images(night, now))


def verdict(unit: UnitConfig, night: date, now: datetime) -> DiskVerdict:
    estimate = estimate_night(unit, night, now).bytes
    free = space.archive_space(unit)
    margin = int(unit.archive.min_free_gb * space.GB)
    return DiskVerdict(space.night_fits(estimate, free, margin), estimate, free, margin)


class DiskCheck:
    """The majordome's view of the disk, renewed every ``every`` wall seconds."""

    def __init__(self, every: float = CHECK_EVERY) -> None:
        self.every = every
        self.last: DiskVerdict | None = None
        self._next = 0.0

    def room(self, unit: UnitConfig, night: date, now: datetime) -> DiskVerdict:
        if self.last is not None and time.monotonic() < self._next:
            return self.last
        self._next = time.monotonic() + self.every
        current = verdict(unit, night, now)
        before = self.last
        self.last = current
        if before is None or before.room != current.room:
            if not current.room:
                store.log(LogKind.PLAN, f"the night is not started: {current.reason}",
                          now=now, unit=unit, detail=_detail(current))
            elif before is not None:
                store.log(LogKind.PLAN, f"the archive's disk has room again: "
                                        f"{current.reason}", now=now, unit=unit,
                          detail=_detail(current))
        return current


def _detail(verdict: DiskVerdict) -> dict[str, int]:
    return {"estimate": verdict.estimate, "free": verdict.free, "margin": verdict.margin}
