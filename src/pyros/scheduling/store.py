"""Between the database and the planner core: the problem of tonight from the stored
sequences, and the plan back into a Schedule with the sequences' statuses.

A plan is saved in one transaction: the Schedule, its entries, its unplanned list and
every status change, or nothing. Status changes are conditional (only sequences still
waiting for the scheduler change), so a sequence the majordome started meanwhile is
never taken back.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import F, Q

from pyros import clock
from pyros.config.schema import UnitConfig
from pyros.observations.lifecycle import RequestStatus, SequenceStatus
from pyros.observations.models import Request, Sequence
from pyros.programs.accounting import seconds_left
from pyros.scheduling.models import (
    PlanningMarker,
    Schedule,
    ScheduledSequence,
    Trigger,
    UnplannedSequence,
)
from pyros.scheduling.problem import (
    FixedEntry,
    ObservationType,
    Placement,
    PlanResult,
    Problem,
    SequenceToPlan,
    night_noon,
)
from pyros.scheduling.sky import night_sky
from pyros.scheduling.tonight import current_night
from pyros.scheduling.unit import overheads_of, site_of

WAITING = (SequenceStatus.TOBEPLANNED, SequenceStatus.PLANNED, SequenceStatus.UNPLANNABLE)


def bump_marker(trigger: Trigger, detail: str = "", *, now: datetime | None = None) -> int:
    """Tell the scheduler its input changed; returns the new version."""
    now = now or clock.now()
    with transaction.atomic():
        PlanningMarker.objects.get_or_create(pk=PlanningMarker.SINGLETON_ID)
        PlanningMarker.objects.filter(pk=PlanningMarker.SINGLETON_ID).update(
            version=F("version") + 1, changed_at=now, trigger=trigger, detail=detail[:255])
        return PlanningMarker.objects.get(pk=PlanningMarker.SINGLETON_ID).version


def on_requests_changed(sender, *, request, change: str, **kwargs) -> None:
    """A request was submitted or cancelled: tonight's plan must be made again."""
    bump_marker(Trigger.NEW_SEQUENCES, f"request #{request.pk} {change}")


def marker() -> PlanningMarker:
    found = PlanningMarker.objects.filter(pk=PlanningMarker.SINGLETON_ID).first()
    return found or PlanningMarker(version=0)


def _to_plan(sequence: Sequence, exempt: set[int] = frozenset()) -> SequenceToPlan:
    """``exempt``: requests whose sequences may overdraw their program (alerts, when the
    unit allows it): planned as if they had no program, so no quota limits them."""
    return SequenceToPlan(
        id=str(sequence.pk), ra=sequence.ra, dec=sequence.dec, duration=sequence.duration,
        priority=sequence.priority, window=(sequence.start, sequence.end),
        preferred=sequence.preferred_time, obs_type=ObservationType(sequence.obs_type),
        max_airmass=sequence.max_airmass or None,
        min_moon_separation=sequence.min_moon_separation or None,
        program=None if sequence.request_id in exempt else sequence.request.program.name)


def tonight(unit: UnitConfig, now: datetime | None = None) -> date:
    """The night we mean now, the same for every page, the CLI, the API and the
    scheduler (``scheduling.tonight``): once the last night's dark time is over, the
    coming one."""
    return current_night(site_of(unit), now or clock.now())


def quotas_left(now: datetime) -> dict[str, float]:
    """Seconds each program with an allocation in the current period may still be
    planned: its allocation minus the time its executions were charged (slews and
    overheads included) and the duration of what executes now."""
    return seconds_left(now)


def _overdrawing(unit: UnitConfig, sequences: list[Sequence]) -> set[int]:
    """The alerts' requests among ``sequences``' when alerts may overdraw, else none."""
    if not unit.accounting.alerts_overdraw:
        return set()
    ids = {s.request_id for s in sequences}
    # By the reverse relation's name: the scheduler does not import the alerts app.
    return set(Request.objects.filter(pk__in=ids, alert_packets__isnull=False)
               .values_list("pk", flat=True))


def build_problem(unit: UnitConfig, *, now: datetime | None = None,
                  only: set[int] | None = None) -> Problem:
    """Tonight's problem: every submitted sequence waiting for the scheduler whose window
    meets the rest of the night, the executing one as fixed, from ``now`` on.
    ``only``: restrict the waiting sequences to these ids (and the current plan's)."""
    now = now or clock.now()
    night = tonight(unit, now)
    noon = night_noon(night, unit.site.longitude)
    waiting = Sequence.objects.filter(
        request__status=RequestStatus.SUBMITTED, status__in=list(WAITING),
        end__gt=now, start__lt=noon + timedelta(days=1),
    ).select_related("request__program")
    if only is not None:
        waiting = waiting.filter(Q(pk__in=only) | Q(status=SequenceStatus.PLANNED))
    executing = Sequence.objects.filter(status=SequenceStatus.EXECUTING)
    fixed = []
    for sequence in executing:
        entry = ScheduledSequence.objects.filter(sequence=sequence).order_by(
            "-schedule__created_at").first()
        if entry is not None and entry.end > now:
            fixed.append(FixedEntry(str(sequence.pk), entry.start, entry.end))
        else:
            fixed.append(FixedEntry(str(sequence.pk), now,
                                    now + timedelta(seconds=sequence.duration)))
    waiting_list = list(waiting.order_by("pk"))
    exempt = _overdrawing(unit, waiting_list)
    return Problem(site=site_of(unit), night=night,
                   sequences=[_to_plan(s, exempt) for s in waiting_list],
                   overheads=overheads_of(unit), quotas=quotas_left(now), not_before=now,
                   fixed=fixed)


def current_schedule(night: date | None = None) -> Schedule | None:
    schedules = Schedule.objects.all()
    if night is not None:
        schedules = schedules.filter(night=night)
    # By id, not by time: a simulated clock may go back (tests, benchmarks).
    return schedules.order_by("-id").first()


def current_placements(schedule: Schedule | None, *, after: datetime) -> list[Placement]:
    """The plan's entries still to come, whose sequences are still planned."""
    if schedule is None:
        return []
    entries = schedule.entries.filter(end__gt=after, sequence__status=SequenceStatus.PLANNED)
    return [Placement(str(e.sequence_id), e.start, e.end) for e in entries]


class PlanInvariantError(ValueError):
    """A plan that breaks what every plan must hold; it is never written."""


def check_each_once(entries: list[Placement]) -> None:
    """A plan holds each sequence at most once: twice would send the telescope to the
    same target twice, and the night's page would show both entries EXECUTING."""
    counts = Counter(p.id for p in entries)
    twice = sorted((i for i, n in counts.items() if n > 1), key=int)
    if twice:
        times = "; ".join(f"sequence {i} at " + ", ".join(
            f"{p.start:%H:%M}" for p in entries if p.id == i) for i in twice)
        raise PlanInvariantError(f"a plan must hold each sequence once: {times}")


def save_plan(problem: Problem, result: PlanResult, *, trigger: Trigger, detail: str = "",
              now: datetime | None = None) -> Schedule:
    now = now or clock.now()
    sky = night_sky(problem.site, problem.night)
    dark_start, dark_end = sky.dark_seconds
    planned = {int(p.id) for p in result.placements}
    with transaction.atomic():
        schedule = Schedule.objects.create(
            night=problem.night, created_at=now, trigger=trigger, detail=detail[:255],
            engine=result.engine, objective=result.objective, bound=result.bound,
            proven_optimal=result.proven_optimal, elapsed=result.elapsed,
            dark_start=sky.at(dark_start) if sky.has_dark_time else None,
            dark_end=sky.at(dark_end) if sky.has_dark_time else None)
        fixed = [Placement(f.id, f.start, f.end) for f in problem.fixed]
        entries = sorted(fixed + list(result.placements), key=lambda p: p.start)
        check_each_once(entries)
        ScheduledSequence.objects.bulk_create(
            ScheduledSequence(schedule=schedule, sequence_id=int(p.id), position=i,
                              start=p.start, end=p.end) for i, p in enumerate(entries))
        UnplannedSequence.objects.bulk_create(
            UnplannedSequence(schedule=schedule, sequence_id=int(r.id), reason=r.reason[:255])
            for r in result.rejections)
        Sequence.objects.filter(pk__in=planned, status__in=list(WAITING)).update(
            status=SequenceStatus.PLANNED, status_reason="")
        reasons = {int(r.id): r.reason[:255] for r in result.rejections}
        waiting = Sequence.objects.select_for_update().filter(
            pk__in=list(reasons), status__in=list(WAITING)).only("pk", "status")
        changed = []
        for sequence in waiting:
            sequence.status = SequenceStatus.UNPLANNABLE
            sequence.status_reason = reasons[sequence.pk]
            changed.append(sequence)
        Sequence.objects.bulk_update(changed, ["status", "status_reason"], batch_size=500)
    return schedule
