"""Between the database and the majordome: what it reads to decide, what it writes as it
goes (its state, the night log, sequence statuses, image records), and the operator's
actions with their checks.

Sequence statuses change by conditional UPDATEs (``... WHERE status = expected``), so a
sequence cancelled meanwhile is never marked executing, and the scheduler (which only
changes waiting sequences) and the majordome never overwrite each other.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from django.db import transaction

from pyros import clock
from pyros.agents import bus
from pyros.agents.registry import majordome_name
from pyros.config.schema import UnitConfig
from pyros.images.models import Image
from pyros.instruments.models import OperatingMode
from pyros.majordome import watchdog
from pyros.majordome.controls import ACTIONS, Action, Situation, refusal
from pyros.majordome.models import (
    LogKind,
    MajordomeState,
    NightLogEntry,
    ObservatoryControl,
)
from pyros.majordome.states import Decision, Inputs, Mode, State
from pyros.majordome.work import (
    ChannelWork,
    Exposures,
    ImageTaken,
    Outcome,
    Pointing,
    SequenceOutcome,
    SequenceWork,
    WorkKind,
)
from pyros.monitoring.models import SafetyState, SiteWatch
from pyros.observations.lifecycle import RequestStatus, SequenceStatus
from pyros.observations.models import Request, Sequence
from pyros.observations.signals import sequence_started
from pyros.programs.accounting import charge_execution
from pyros.programs.charges import ImageSpan
from pyros.scheduling import store as scheduling_store
from pyros.scheduling.models import Trigger
from pyros.scheduling.problem import night_of
from pyros.scheduling.store import tonight

# --- reading -------------------------------------------------------------------------


@dataclass(frozen=True)
class Surroundings:
    """What the monitoring, the operating mode and the operator's switches say now."""

    plc_link: bool
    plc_auto: bool
    safe: bool
    safety_status: str
    safety_reasons: tuple[str, ...]
    night_ack_plc: bool
    plc_bypass: bool  # the PLC says the control centre's PLC BYPASS is set
    mode: Mode
    control: ObservatoryControl


def surroundings(unit: UnitConfig, now: datetime) -> Surroundings:
    """One reading of everything outside the majordome that it decides from: safety is
    read once here, and only here."""
    safety = SafetyState.current()
    current = safety.is_current(now, unit.monitoring.period)
    site = SiteWatch.objects.order_by("-time", "-id").values_list("values", flat=True).first()
    site = site or {}
    plc_mode = (site.get("plc_mode") or {}).get("value")
    night_ack = bool((site.get("night_ack") or {}).get("value"))
    plc_bypass = bool((site.get("plc_bypass") or {}).get("value"))
    return Surroundings(
        plc_link=current and not safety.plc_error,
        plc_auto=plc_mode in (None, "auto"),  # a PLC without the value is not in manual
        safe=current and safety.safe,
        safety_status=safety.status if current else "NO_DATA",
        safety_reasons=tuple(safety.reasons or ()),
        night_ack_plc=night_ack,
        plc_bypass=plc_bypass,
        mode=Mode(OperatingMode.current().mode),
        control=ObservatoryControl.current(),
    )


def night_ack_given(unit: UnitConfig, around: Surroundings, night: date) -> bool:
    if not unit.majordome.require_night_ack:
        return True
    return around.night_ack_plc or around.control.ack_night == night


# --- writing the state and the log --------------------------------------------------


def log(kind: LogKind, message: str, *, now: datetime | None = None, unit: UnitConfig,
        detail: dict | None = None, sequence_id: int | None = None) -> NightLogEntry:
    now = now or clock.now()
    return NightLogEntry.objects.create(
        time=now, night=night_of(now, unit.site.longitude), kind=kind, message=message[:500],
        detail=detail or {}, sequence_id=sequence_id)


def record_state(state: State, *, decision: Decision | None, inputs: Inputs, why_not: list[str],
                 now: datetime, sun: tuple[str, float], work: str = "",
                 sequence_id: int | None = None, fault: str = "",
                 since: datetime | None = None) -> None:
    """Renew the state row, once per decision; ``decision`` is given when the state
    changed (its cause, and since when: ``since``, when it was entered, else ``now``)."""
    values = {"state": state, "inputs": {k: str(v) if not isinstance(v, bool) else v
                                         for k, v in asdict(inputs).items()},
              "why_not": why_not, "decided_at": now, "work": work[:200],
              "sequence_id": sequence_id, "fault": fault[:255], "phase": sun[0],
              "sun_altitude": sun[1]}
    if decision is not None:
        values["since"], values["cause"] = since or now, decision.cause[:255]
    updated = MajordomeState.objects.filter(pk=MajordomeState.SINGLETON_ID).update(**values)
    if not updated:
        values.setdefault("since", now)
        values.setdefault("cause", "")
        MajordomeState.objects.create(pk=MajordomeState.SINGLETON_ID, **values)


# --- the plan and the sequences ------------------------------------------------------


@dataclass(frozen=True)
class Due:
    sequence_id: int
    priority: int
    start: datetime
    end: datetime
    schedule_id: int


def due_entry(unit: UnitConfig, now: datetime) -> Due | None:
    """The current plan's first sequence still planned whose start has come (within
    ``start_early``) and whose end has not passed."""
    night = night_of(now, unit.site.longitude)
    schedule = scheduling_store.current_schedule(night)
    if schedule is None:
        return None
    early = timedelta(seconds=unit.majordome.start_early)
    entry = schedule.entries.filter(
        sequence__status=SequenceStatus.PLANNED, start__lte=now + early, end__gt=now,
    ).select_related("sequence").order_by("start", "position").first()
    if entry is None:
        return None
    return Due(entry.sequence_id, entry.sequence.priority, entry.start, entry.end,
               schedule.pk)


def sequence_work(unit: UnitConfig, sequence_id: int) -> SequenceWork:
    """The executor's view of a stored sequence: each album on its channel."""
    sequence = Sequence.objects.select_related("request").get(pk=sequence_id)
    channels = []
    for album in sequence.albums.prefetch_related("plans").all():
        channel = unit.channel(album.detector)
        plans = tuple(Exposures(name=p.name, filter=p.filter, exposure=p.exposure,
                                count=p.nb_images, plan_id=p.pk) for p in album.plans.all())
        channels.append(ChannelWork(channel=channel.name, plans=plans, album_id=album.pk))
    return SequenceWork(
        key=f"sequence-{sequence.pk}", name=sequence.name, kind=WorkKind.SCIENCE,
        target_name=sequence.target_name or sequence.name,
        pointing=Pointing(sequence.ra, sequence.dec), channels=tuple(channels),
        priority=sequence.priority, sequence_id=sequence.pk, request_id=sequence.request_id)


def start_sequence(sequence_id: int, now: datetime) -> bool:
    """PLANNED → EXECUTING; False when it is no longer planned (cancelled meanwhile)."""
    return Sequence.objects.filter(pk=sequence_id, status=SequenceStatus.PLANNED).update(
        status=SequenceStatus.EXECUTING, status_reason=f"started at {now:%H:%M:%S} UTC") == 1


def announce_slew(sequence_id: int, when: datetime) -> None:
    sequence_started.send(sender=majordome_name(), sequence_id=sequence_id, slew_at=when)


def finish_sequence(unit: UnitConfig, sequence_id: int, outcome: SequenceOutcome,
                    now: datetime) -> str:
    """EXECUTED, FAILED, or back to the scheduler when interrupted; the scheduler is told
    (the planning marker). Returns the new status.

    In the same transaction the program is charged the time the execution held the
    telescope (``programs.accounting``), whatever the outcome and even when the sequence
    was cancelled meanwhile: a stopped sequence used the telescope all the same."""
    status = {Outcome.EXECUTED: SequenceStatus.EXECUTED, Outcome.FAILED: SequenceStatus.FAILED,
              Outcome.INTERRUPTED: SequenceStatus.TOBEPLANNED}[outcome.outcome]
    with transaction.atomic():
        changed = Sequence.objects.filter(pk=sequence_id, status=SequenceStatus.EXECUTING) \
            .update(status=status, status_reason=outcome.reason[:255])
        if changed and status == SequenceStatus.EXECUTED:
            _complete_request_if_done(sequence_id, now)
        _charge(sequence_id, outcome, now)
    scheduling_store.bump_marker(Trigger.EXECUTION, f"sequence #{sequence_id} {status}",
                                 now=now)
    return status if changed else "unchanged (no longer executing)"


def execution_start(sequence_id: int, now: datetime) -> datetime | None:
    """The time of the night log's latest "started" entry of the sequence, up to
    ``now``: where its execution, and its charge, begin."""
    entries = NightLogEntry.objects.filter(
        kind=LogKind.SEQUENCE, sequence_id=sequence_id, time__lte=now,
    ).order_by("-time", "-id").values_list("time", "detail")[:20]
    for time, detail in entries:
        if isinstance(detail, dict) and detail.get("phase") == "start":
            return time
    return None


def _charge(sequence_id: int, outcome: SequenceOutcome, now: datetime) -> None:
    start = execution_start(sequence_id, now) or outcome.started or outcome.slew_started or now
    slew = (outcome.slew_started, outcome.slew_ended or outcome.ended or now) \
        if outcome.slew_started is not None else None
    charge_execution(
        sequence_id=sequence_id, start=start, end=now,
        images=[ImageSpan(i.started, i.ended, i.read_out) for i in outcome.images],
        slew=slew, outcome=outcome.outcome.value, reason=outcome.reason)


def _complete_request_if_done(sequence_id: int, now: datetime) -> None:
    request = Request.objects.select_for_update().get(sequences__pk=sequence_id)
    final = {SequenceStatus.EXECUTED, SequenceStatus.CANCELLED}
    if request.status == RequestStatus.SUBMITTED and \
            all(s in final for s in request.sequences.values_list("status", flat=True)):
        request.move_to(RequestStatus.COMPLETED, "every sequence executed")
        request.updated_at = now
        request.save(update_fields=["status", "status_reason", "updated_at"])


def give_back_executing(now: datetime, reason: str) -> list[int]:
    """At start-up: sequences a previous majordome left EXECUTING go back to the
    scheduler (their images, if any, stay recorded)."""
    ids = list(Sequence.objects.filter(status=SequenceStatus.EXECUTING)
               .values_list("pk", flat=True))
    if ids:
        Sequence.objects.filter(pk__in=ids, status=SequenceStatus.EXECUTING).update(
            status=SequenceStatus.TOBEPLANNED, status_reason=reason[:255])
        scheduling_store.bump_marker(Trigger.EXECUTION, reason, now=now)
    return ids


def record_image(unit: UnitConfig, work: SequenceWork, image: ImageTaken) -> Image:
    """The image's row, queued for the analysis agent (which it wakes), and the file
    in the archive's catalogue: all or nothing, and once (a repeated call after a lost
    answer finds the row by its path), so that it can be tried again after a database
    error (``persist``)."""
    from pyros.analysis.store import enqueue
    from pyros.archive.ingest import ingest_raw

    with transaction.atomic():
        existing = Image.objects.filter(path=str(image.path)).first()
        if existing is not None:
            return existing
        return _record_image(unit, work, image, enqueue, ingest_raw)


def _record_image(unit: UnitConfig, work: SequenceWork, image: ImageTaken, enqueue,
                  ingest_raw) -> Image:
    recorded = Image.objects.create(
        path=str(image.path), night=night_of(image.started, unit.site.longitude),
        channel=image.channel, frame_type=image.frame_type.value, filter=image.filter or "",
        exposure=image.exposure, date_obs=image.started, date_end=image.ended,
        target_name=work.target_name[:100], airmass=image.airmass, work_key=work.key[:120],
        sequence_id=work.sequence_id, album_id=image.album_id, plan_id=image.plan_id,
        headers={k: v if isinstance(v, (int, float, str, bool)) or v is None else str(v)
                 for k, v in image.headers.items()})
    enqueue(recorded)
    ingest_raw(unit, recorded)
    return recorded


def watchdog_trips_logged(since: date) -> list[dict]:
    """The details of the watchdog trips the night log has said since ``since``."""
    return list(NightLogEntry.objects.filter(
        night__gte=since, kind=LogKind.SAFETY, detail__has_key=watchdog.DETAIL_KEY)
        .values_list("detail", flat=True))


def calibrations_tried(since: date) -> set[str]:
    """The keys of the calibrations started on the nights from ``since`` on (taken or
    not: a calibration is not retried in a loop). The majordome reads them once and
    then keeps the set itself, being the only one to start calibrations."""
    details = NightLogEntry.objects.filter(night__gte=since, kind=LogKind.CALIBRATION) \
        .values_list("detail", flat=True)
    return {detail["key"] for detail in details if isinstance(detail, dict) and "key" in detail}


# --- the operator's actions -----------------------------------------------------------


class ControlRefused(Exception):
    """An action this user may not take, or not in this state."""


def situation(unit: UnitConfig, now: datetime, *, state: MajordomeState | None = None,
              around: Surroundings | None = None) -> Situation:
    """What the buttons depend on; ``state`` and ``around`` when the caller read them."""
    around = around or surroundings(unit, now)
    state = state or MajordomeState.current()
    night = tonight(unit, now)  # the night a button acknowledges: the coming one by day
    return Situation(
        state=State(state.state), safe=around.safe, bypass=around.control.bypass,
        locked=around.control.locked, stopped=around.control.stopped, mode=around.mode,
        ack_required=unit.majordome.require_night_ack,
        ack_given=night_ack_given(unit, around, night))


def apply_action(unit: UnitConfig, action: Action, *, who: str, level: int,
                 now: datetime | None = None) -> str:
    """Check and take one operator action; log it, wake the majordome. ``who`` is
    ``web:<user>`` or ``cli:<user>``; ``level`` the profile level for the rights."""
    from pyros.accounts.rights import Access, access

    now = now or clock.now()
    spec = ACTIONS[action]
    if access(level, spec.right) < Access.ACT:
        raise ControlRefused(f"{spec.label}: your profile may not do this")
    with transaction.atomic():
        ObservatoryControl.objects.get_or_create(pk=ObservatoryControl.SINGLETON_ID)
        now_situation = situation(unit, now)
        why_not = refusal(action, now_situation)
        if why_not is not None:
            raise ControlRefused(f"{spec.label} is not available now: {why_not}")
        _take(unit, action, who, now)
    log(LogKind.OPERATOR, f"{spec.label} by {who}", now=now, unit=unit,
        detail={"action": action.value, "by": who, "state": now_situation.state.value})
    bus.send_command(majordome_name(), "control_changed", sender=who[:100],
                     validity=bus.wall_validity(30.0),
                     action=action.value)
    return f"{spec.label}: done"


def _take(unit: UnitConfig, action: Action, who: str, now: datetime) -> None:
    control = ObservatoryControl.objects.select_for_update().get(
        pk=ObservatoryControl.SINGLETON_ID)
    if action in (Action.BYPASS, Action.STOP_BYPASS):
        control.bypass, control.bypass_by, control.bypass_at = \
            action == Action.BYPASS, who, now
    elif action in (Action.LOCK, Action.UNLOCK):
        control.locked, control.locked_by, control.locked_at = action == Action.LOCK, who, now
    elif action in (Action.STOP, Action.RESUME):
        control.stopped, control.stopped_by, control.stopped_at = \
            action == Action.STOP, who, now
    elif action == Action.NIGHT_ACK:
        control.ack_night, control.ack_by, control.ack_at = tonight(unit, now), who, now
    elif action in (Action.GO_REMOTE, Action.GO_SCHEDULER):
        mode = Mode.REMOTE if action == Action.GO_REMOTE else Mode.SCHEDULER
        OperatingMode.change(mode.value, by=who, at=now, reason=ACTIONS[action].label)
        return
    control.save()
