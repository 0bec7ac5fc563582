"""Time accounting: what each execution charges its program, and per program and period
what was allocated, what tonight's plan still holds, what was used and what is left.

``charge_execution`` is called by the majordome inside the transaction that records a
sequence's outcome, so an outcome is never stored without its charge. ``used`` is the
sum of the charges, i.e. the time the telescope actually spent (slews and overheads
included), not the durations the requests asked for: that is what the scheduler's quota
limits (``seconds_left``) and what the Programs page and API show.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet, Sum

from pyros.programs.charges import ImageSpan, breakdown
from pyros.programs.models import Allocation, Period, ScientificProgram, TimeCharge


def period_at(instant: datetime) -> Period | None:
    return Period.objects.filter(start__lte=instant, end__gt=instant).first()


def is_alert_request(request_id: int) -> bool:
    """Whether the request was made by the alerts agent (an alert packet points at it).
    By the reverse relation's name: programs does not import the alerts app."""
    from pyros.observations.models import Request

    return Request.objects.filter(pk=request_id, alert_packets__isnull=False).exists()


def charge_execution(*, sequence_id: int, start: datetime, end: datetime,
                     images: Iterable[ImageSpan], slew: tuple[datetime, datetime] | None,
                     outcome: str, reason: str = "") -> TimeCharge:
    """Charge one execution of a sequence to its program, in the period containing its
    start. Idempotent: a second call for the same execution returns the first charge."""
    from pyros.observations.models import Sequence

    existing = TimeCharge.objects.filter(sequence_id=sequence_id, start=start).first()
    if existing is not None:
        return existing
    sequence = Sequence.objects.select_related("request").get(pk=sequence_id)
    parts = breakdown(start, end, images, slew)
    try:
        with transaction.atomic():  # a savepoint: a concurrent twin must not spoil the caller
            return TimeCharge.objects.create(
                program_id=sequence.request.program_id, period=period_at(start),
                sequence_id=sequence_id, start=start, end=max(start, end),
                seconds=round(parts.total, 3), breakdown=parts.as_dict(),
                outcome=outcome[:12], reason=reason[:255],
                alert=is_alert_request(sequence.request_id))
    except IntegrityError:
        return TimeCharge.objects.get(sequence_id=sequence_id, start=start)


def used_seconds(program_ids: Iterable[int], period: Period) -> dict[int, float]:
    """Seconds charged to each program in ``period``."""
    rows = TimeCharge.objects.filter(program_id__in=list(program_ids), period=period) \
        .values("program_id").annotate(total=Sum("seconds"))
    return {row["program_id"]: float(row["total"] or 0.0) for row in rows}


def executing_seconds(now: datetime) -> dict[int, float]:
    """Seconds the sequences executing now are expected to take (not charged yet)."""
    from pyros.observations.lifecycle import SequenceStatus
    from pyros.observations.models import Sequence

    rows = Sequence.objects.filter(status=SequenceStatus.EXECUTING) \
        .values("request__program_id").annotate(total=Sum("duration"))
    return {row["request__program_id"]: float(row["total"] or 0.0) for row in rows}


def planned_seconds(now: datetime, period: Period) -> dict[int, float]:
    """Seconds of each program's sequences still to run in tonight's current plan, when
    tonight is in ``period`` (other periods have nothing planned yet)."""
    from pyros.observations.lifecycle import SequenceStatus
    from pyros.scheduling.models import Schedule, ScheduledSequence

    if not (period.start <= now < period.end):
        return {}
    schedule = Schedule.objects.order_by("-id").first()
    if schedule is None:
        return {}
    totals: dict[int, float] = defaultdict(float)
    entries = ScheduledSequence.objects.filter(
        schedule=schedule, end__gt=now, sequence__status=SequenceStatus.PLANNED,
    ).values_list("sequence__request__program_id", "start", "end")
    for program_id, start, end in entries:
        totals[program_id] += (end - max(start, now)).total_seconds()
    return dict(totals)


@dataclass(frozen=True)
class ProgramTime:
    """One program's figures for one period, in seconds."""

    program: ScientificProgram
    period: Period
    allocated: float
    planned: float
    used: float

    @property
    def remaining(self) -> float:
        """Allocated minus used: negative when alerts overdrew the program."""
        return self.allocated - self.used

    @property
    def used_fraction(self) -> float:
        return self.used / self.allocated if self.allocated > 0 else (1.0 if self.used else 0.0)

    @property
    def planned_fraction(self) -> float:
        if self.allocated <= 0:
            return 0.0
        return min(self.planned, max(0.0, self.remaining)) / self.allocated


def program_times(programs: QuerySet[ScientificProgram], period: Period,
                  now: datetime) -> list[ProgramTime]:
    """The figures of ``programs`` in ``period``: those with an allocation in it, or a
    charge (a program charged without an allocation shows 0 allocated)."""
    programs = programs.filter(
        Q(allocations__period=period) | Q(charges__period=period)).distinct()
    programs = list(programs.order_by("name"))
    ids = [p.pk for p in programs]
    allocated = dict(Allocation.objects.filter(program_id__in=ids, period=period)
                     .values_list("program_id", "quota_hours"))
    used = used_seconds(ids, period)
    planned = planned_seconds(now, period)
    return [ProgramTime(program=p, period=period,
                        allocated=float(allocated.get(p.pk, 0)) * 3600.0,
                        planned=planned.get(p.pk, 0.0), used=used.get(p.pk, 0.0))
            for p in programs]


def seconds_left(now: datetime) -> dict[str, float]:
    """For the scheduler: seconds each program with an allocation in the current period
    may still be planned: allocated − charged − what executes now (its duration, until
    its charge replaces it). Never below zero."""
    period = period_at(now)
    if period is None:
        return {}
    allocations = list(Allocation.objects.filter(period=period).select_related("program"))
    ids = [a.program_id for a in allocations]
    used = used_seconds(ids, period)
    running = executing_seconds(now)
    return {a.program.name: max(0.0, float(a.quota_hours) * 3600.0 - used.get(a.program_id, 0.0)
                                - running.get(a.program_id, 0.0))
            for a in allocations}
