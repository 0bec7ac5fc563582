"""Validating requests against the database and writing them all-or-nothing.

Every way of creating or changing a request (file import, API, web pages, command
line) goes through here, so the rules are the same everywhere: the acting user may
write into the program (``access``), the owner belongs to it, the program has time left
in the period, the unit has the detectors and filters, and the windows are not over.
The rights are checked inside the transaction that writes, on the locked row, so
nothing is half-written and nothing is written unless everything is valid.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Greatest

from pyros import clock
from pyros.config.loader import active_config
from pyros.observations.access import (
    RequestForbidden,
    may_file_for,
    require_cancel,
    require_edit,
    write_into_problem,
)
from pyros.observations.drafts import lock_draft
from pyros.observations.json_format import spec_from_data
from pyros.observations.lifecycle import (
    RELEASED_SEQUENCE_STATUSES,
    ObsType,
    RequestStatus,
    SequenceStatus,
)
from pyros.observations.models import Album, Plan, Request, Sequence
from pyros.observations.problems import Problem, RequestInvalid
from pyros.observations.signals import requests_changed
from pyros.observations.spec import (
    AlbumSpec,
    PlanSpec,
    RequestSpec,
    SequenceSpec,
    check_against_unit,
)
from pyros.programs.models import Allocation, Period, ScientificProgram
from pyros.programs.periods import period_containing


def spec_of(request: Request) -> RequestSpec:
    """The stored request as a spec: what export writes and what submit re-validates."""
    sequences = request.sequences.prefetch_related("albums__plans").order_by("position")
    return RequestSpec.model_construct(
        name=request.name,
        scientific_program=request.program.name,
        target_type=request.target_type,
        submitted=request.status != RequestStatus.DRAFT,
        sequences=[
            SequenceSpec.model_construct(
                name=s.name, target=s.target_name, ra=s.ra, dec=s.dec, start=s.start,
                end=s.end, duration=s.duration, priority=s.priority, obs_type=ObsType(s.obs_type),
                preferred_time=s.preferred_time, max_airmass=s.max_airmass,
                min_moon_separation=s.min_moon_separation,
                albums=[
                    AlbumSpec.model_construct(
                        name=a.name, detector=a.detector,
                        plans=[PlanSpec.model_construct(name=p.name, filter=p.filter,
                                                        exposure=p.exposure,
                                                        nb_images=p.nb_images)
                               for p in a.plans.all()],
                    )
                    for a in s.albums.all()
                ],
            )
            for s in sequences
        ],
    )


def _program_problems(spec: RequestSpec, owner, actor) -> tuple[ScientificProgram | None,
                                                                 list[Problem]]:
    where = f"request '{spec.name}'"
    program = ScientificProgram.objects.filter(name=spec.scientific_program).first()
    if program is None:
        return None, [Problem(where, "scientific_program",
                              f"there is no scientific program '{spec.scientific_program}'")]
    refused = write_into_problem(actor, owner, program)
    if refused:
        return program, [Problem(where, "scientific_program", refused)]
    return program, []


def _period_at(instant: datetime) -> Period | None:
    return Period.objects.filter(start__lte=instant, end__gt=instant).first()


def charged_hours(program: ScientificProgram, period: Period,
                  exclude_request: Request | None = None) -> float:
    """Hours of the program's live sequences charged to ``period``.

    A sequence is charged to the period in which its window opens, or, if the window was
    already open when the request was made, to the period the request was made in."""
    sequences = (
        Sequence.objects.filter(request__program=program)
        .exclude(status__in=[s.value for s in RELEASED_SEQUENCE_STATUSES])
        .exclude(request__status=RequestStatus.CANCELLED)
        .annotate(charged_at=Greatest("start", "request__created_at"))
        .filter(charged_at__gte=period.start, charged_at__lt=period.end)
    )
    if exclude_request is not None:
        sequences = sequences.exclude(request=exclude_request)
    total = sequences.aggregate(total=Sum("duration"))["total"] or 0.0
    return total / 3600.0


def _quota_problems(spec: RequestSpec, program: ScientificProgram, now: datetime,
                    exclude_request: Request | None) -> list[Problem]:
    wanted: dict[str, float] = defaultdict(float)
    periods: dict[str, Period] = {}
    problems = []
    for sequence in spec.sequences:
        instant = max(sequence.start, now)
        period = _period_at(instant)
        if period is None:
            bounds = period_containing(instant)
            problems.append(Problem(f"request '{spec.name}' > sequence '{sequence.name}'",
                                    "start", f"no observing period is defined for {bounds.name}"))
            continue
        periods[period.name] = period
        wanted[period.name] += sequence.duration / 3600.0
    for name, hours in wanted.items():
        period = periods[name]
        allocation = Allocation.objects.filter(program=program, period=period).first()
        if allocation is None:
            problems.append(Problem(f"request '{spec.name}'", "scientific_program",
                                    f"the program '{program.name}' has no time in period {name}"))
            continue
        used = charged_hours(program, period, exclude_request)
        if Decimal(str(round(used + hours, 6))) > allocation.quota_hours:
            problems.append(Problem(
                f"request '{spec.name}'", "scientific_program",
                f"the quota of '{program.name}' in {name} would be exceeded: "
                f"{used:.2f} h used + {hours:.2f} h asked > {allocation.quota_hours} h"))
    return problems


def validate(spec: RequestSpec, owner, *, actor, now: datetime | None = None,
             exclude_request: Request | None = None,
             field_names: Mapping[str, str] | None = None,
             lines: Mapping | None = None) -> ScientificProgram:
    """Every check that needs the outside world, ``actor`` being who writes (a user, or
    ``access.SYSTEM``). Raises RequestInvalid with all problems."""
    now = now or clock.now()
    unit = active_config()
    problems = check_against_unit(spec, unit.filters_by_detector(), now, field_names, lines,
                                  unit.readout_by_detector())
    program, program_problems = _program_problems(spec, owner, actor)
    problems += program_problems
    if program is not None and not program_problems:
        problems += _quota_problems(spec, program, now, exclude_request)
    if problems or program is None:
        raise RequestInvalid(problems)
    return program


def _write_children(request: Request, sequences: list[SequenceSpec],
                    status: SequenceStatus) -> None:
    """Three INSERTs whatever the size of the tree: all databases PyROS supports return
    the new primary keys from a bulk insert."""
    stored_sequences = Sequence.objects.bulk_create(
        Sequence(request=request, position=s_pos, name=s.name, target_name=s.target, ra=s.ra,
                 dec=s.dec, start=s.start, end=s.end, duration=s.duration,
                 priority=s.priority, obs_type=s.obs_type, preferred_time=s.preferred_time,
                 max_airmass=s.max_airmass, min_moon_separation=s.min_moon_separation,
                 status=status)
        for s_pos, s in enumerate(sequences))
    album_specs = [(album, spec) for stored, seq in zip(stored_sequences, sequences, strict=True)
                   for album, spec in ((Album(sequence=stored, position=a_pos, name=a.name,
                                              detector=a.detector), a)
                                       for a_pos, a in enumerate(seq.albums))]
    stored_albums = Album.objects.bulk_create(album for album, _ in album_specs)
    Plan.objects.bulk_create(
        Plan(album=album, position=p_pos, name=p.name, filter=p.filter, exposure=p.exposure,
             nb_images=p.nb_images)
        for album, (_, a) in zip(stored_albums, album_specs, strict=True)
        for p_pos, p in enumerate(a.plans))


def create_request(spec: RequestSpec, owner, *, actor=None, now: datetime | None = None,
                   field_names: Mapping[str, str] | None = None,
                   lines: Mapping | None = None) -> Request:
    """Validate and store a whole request, submitted or as a draft, in one transaction.
    ``actor`` (default: the owner) is who files it."""
    now = now or clock.now()
    actor = owner if actor is None else actor
    if not may_file_for(actor, owner):
        raise RequestForbidden(f"you ({actor}) may not file a request for {owner}: only "
                               "the PI and the SysAdmin may")
    with transaction.atomic():
        program = validate(spec, owner, actor=actor, now=now, field_names=field_names,
                           lines=lines)
        submitted = spec.submitted
        request = Request.objects.create(
            name=spec.name, owner=owner, program=program, target_type=spec.target_type,
            status=RequestStatus.SUBMITTED if submitted else RequestStatus.DRAFT,
            created_at=now, updated_at=now, submitted_at=now if submitted else None)
        _write_children(request, spec.sequences,
                        SequenceStatus.TOBEPLANNED if submitted else SequenceStatus.DRAFT)
        if submitted:
            requests_changed.send(Request, request=request, change="submitted")
    return request


def replace_request(request: Request, spec: RequestSpec, actor, *,
                    now: datetime | None = None) -> Request:
    """Replace a draft's content with ``spec`` (submitting it if ``spec.submitted``):
    ``actor`` must be allowed to edit it where it is and to write into the program
    ``spec`` names."""
    now = now or clock.now()
    with transaction.atomic():
        request = lock_draft(request, actor)
        program = validate(spec, request.owner, actor=actor, now=now, exclude_request=request)
        request.sequences.all().delete()
        request.name, request.program, request.target_type = spec.name, program, spec.target_type
        request.updated_at = now
        if spec.submitted:
            request.move_to(RequestStatus.SUBMITTED)
            request.submitted_at = now
        request.save()
        _write_children(request, spec.sequences,
                        SequenceStatus.TOBEPLANNED if spec.submitted else SequenceStatus.DRAFT)
    return request


def submit_request(request: Request, *, actor, now: datetime | None = None) -> Request:
    """Submit a draft for planning, after checking it again as a whole."""
    now = now or clock.now()
    with transaction.atomic():
        request = Request.objects.select_for_update().get(pk=request.pk)
        require_edit(actor, request)
        request.move_to(RequestStatus.SUBMITTED)
        # A draft is built piece by piece: only now is it checked as a whole.
        spec = spec_from_data(spec_of(request).model_dump())
        validate(spec, request.owner, actor=actor, now=now, exclude_request=request)
        request.submitted_at = request.updated_at = now
        request.save()
        for sequence in request.sequences.all():
            sequence.move_to(SequenceStatus.TOBEPLANNED)
            sequence.save(update_fields=["status", "status_reason"])
        requests_changed.send(Request, request=request, change="submitted")
    return request


def cancel_request(request: Request, reason: str = "", *, actor,
                   now: datetime | None = None) -> Request:
    """Cancel a request and every sequence of it that has not ended yet."""
    now = now or clock.now()
    with transaction.atomic():
        request = Request.objects.select_for_update().get(pk=request.pk)
        require_cancel(actor, request)
        request.move_to(RequestStatus.CANCELLED, reason)
        request.updated_at = now
        request.save()
        for sequence in request.sequences.exclude(
                status__in=[SequenceStatus.EXECUTED, SequenceStatus.CANCELLED]):
            sequence.move_to(SequenceStatus.CANCELLED, reason or "request cancelled")
            sequence.save(update_fields=["status", "status_reason"])
        requests_changed.send(Request, request=request, change="cancelled")
    return request
