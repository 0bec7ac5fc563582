"""Between a packet and the database: the intake of one packet, all or nothing.

``ingest(data, source=...)`` reads the packet (refused: a RefusedPacket with the reason,
nothing else changes), matches it to its event (duplicate, new event, update;
retraction), applies the active strategy to the event's best position, and, when
accepted, submits the request through the same store as users' requests. Every step is
written to the decision log with its time. Asking the scheduler to insert the request is
the alert agent's part: the store only writes.

A later packet with a better position replaces the event's request (the old one is
cancelled with the reason); one without changes nothing for an event already observed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import transaction

from pyros import clock
from pyros.accounts.models import Profile, User
from pyros.accounts.profiles import ProfileLevel
from pyros.alerts import events as grouping
from pyros.alerts.models import (
    AlertEvent,
    AlertLog,
    AlertPacket,
    Decision,
    EventStatus,
    RefusedPacket,
    Step,
    Strategy,
)
from pyros.alerts.strategy import decide, default_strategy, load_strategy
from pyros.alerts.voevent import Alert, VOEventError, parse_voevent
from pyros.config.schema import UnitConfig
from pyros.observations import store as requests_store
from pyros.observations.access import SYSTEM
from pyros.observations.lifecycle import RequestStatus
from pyros.observations.models import Request
from pyros.programs.models import ScientificProgram

ALERT_USER = "alerts"
HEAD = 2048  # bytes of a refused packet kept


@dataclass
class IntakeResult:
    decision: str  # ACCEPTED, REJECTED, DUPLICATE, RETRACTION or REFUSED
    reason: str
    packet: AlertPacket | None = None
    refused: RefusedPacket | None = None
    request: Request | None = None
    record: dict[str, Any] | None = None
    checks: list[dict[str, Any]] = field(default_factory=list)
    #: False for a reading that stored nothing (``pyros alert ingest`` without --store).
    stored: bool = True
    #: Sequences of the request it submitted (or, not stored, would submit).
    sequences: int = 0

    @property
    def is_duplicate(self) -> bool:
        return self.decision == "DUPLICATE"

    def as_json(self) -> dict[str, Any]:
        """The normalised alert record with the decision and its reason."""
        return {
            "alert": self.record, "decision": self.decision, "reason": self.reason,
            "duplicate": self.is_duplicate, "stored": self.stored,
            "event": self.packet.event.key if self.packet and self.packet.event_id else None,
            "request": self.request.pk if self.request and self.stored else None,
            "sequences": self.sequences,
            "strategy": (f"{self.packet.strategy.name} v{self.packet.strategy.version}"
                         if self.packet and self.packet.strategy else None),
            "checks": self.checks,
        }


def log(step: Step, message: str, *, packet: AlertPacket | None = None, ivorn: str = "",
        at: datetime | None = None, **data: Any) -> AlertLog:
    return AlertLog.objects.create(packet=packet, ivorn=ivorn or (packet.ivorn if packet else ""),
                                   step=step, at=at or clock.now(), wall_at=wall_time(at),
                                   message=message[:2000], data=data)


def wall_time(at: datetime | None) -> datetime | None:
    """The wall clock's time of the clock's instant ``at`` (now when None): the same
    instant under the real clock; under a running simulated one, as far back on the wall
    as ``at`` is back on the clock, at the clock's pace; unknown (None) for a past
    instant of a stepped clock, which has no pace."""
    wall = datetime.now(UTC)
    if at is None:
        return wall
    if not clock.is_simulated():
        return at
    speed = float(getattr(clock.get_clock(), "speed", 0.0))
    return wall - (clock.now() - at) / speed if speed > 0 else None


# -- strategies -----------------------------------------------------------------------

def active_strategy() -> Strategy:
    """The active version; the shipped default becomes version 1 on first use."""
    found = Strategy.objects.filter(is_active=True).first()
    if found is not None:
        return found
    with transaction.atomic():
        if not Strategy.objects.exists():
            text = default_strategy_text()
            return Strategy.objects.create(name=default_strategy().name, version=1, text=text,
                                           is_active=True, created_at=clock.now(),
                                           comment="the default shipped with PyROS")
        latest = Strategy.objects.order_by("-version").first()
        latest.is_active = True
        latest.save(update_fields=["is_active"])
        return latest


def default_strategy_text() -> str:
    from pyros.alerts.strategy import DEFAULT_STRATEGY_PATH

    return DEFAULT_STRATEGY_PATH.read_text(encoding="utf-8")


def save_strategy(text: str, *, user=None, comment: str = "") -> Strategy:
    """A new version from ``text`` (validated: StrategyError names the bad key), made
    active; earlier versions stay, for the packets they decided."""
    parsed = load_strategy(text)
    with transaction.atomic():
        latest = Strategy.objects.select_for_update().order_by("-version").first()
        Strategy.objects.filter(is_active=True).update(is_active=False)
        return Strategy.objects.create(
            name=parsed.name, version=(latest.version + 1) if latest else 1, text=text,
            is_active=True, created_at=clock.now(), created_by=user, comment=comment[:255])


# -- intake ---------------------------------------------------------------------------

def alert_user(program: str) -> User:
    """The account alert requests belong to: a member of the strategy's program."""
    user = User.objects.filter(username=ALERT_USER).first()
    if user is None:
        user = User.objects.create_user(ALERT_USER, "", None)
        user.profile = Profile.objects.filter(level=ProfileLevel.OPERATOR).first()
        user.save()
    found = ScientificProgram.objects.filter(name=program).first()
    if found is not None and not found.has_member(user):
        found.members.add(user)
    return user


def _record_of(event: AlertEvent) -> grouping.EventRecord:
    return grouping.EventRecord(
        key=event.key, mission=event.mission, trigger_id=event.trigger_id or None,
        is_test=event.status == EventStatus.TEST,
        packets=tuple(grouping.PacketRecord(p.ivorn, p.notice_type, tuple(
            r["ivorn"] for r in p.record.get("references", []))) for p in event.packets.all()),
        event_time=event.event_time, ra=event.ra, dec=event.dec,
        error_radius=event.error_radius, position_ivorn=event.position_ivorn or None,
        skymap_url=event.skymap_url or None, cancelled_by=event.cancelled_by or None)


def _known_events(alert: Alert) -> list[AlertEvent]:
    key, ivorns = grouping.lookup(alert)
    by_key = list(AlertEvent.objects.filter(key=key))
    by_ivorn = list(AlertEvent.objects.filter(packets__ivorn__in=ivorns).distinct())
    seen: dict[int, AlertEvent] = {e.pk: e for e in by_key + by_ivorn}
    return list(seen.values())


def _store_event(record: grouping.EventRecord, existing: AlertEvent | None,
                 now: datetime) -> AlertEvent:
    status = (EventStatus.TEST if record.is_test
              else EventStatus.RETRACTED if record.cancelled else EventStatus.ACTIVE)
    values = dict(mission=record.mission, trigger_id=record.trigger_id or "", status=status,
                  event_time=record.event_time, ra=record.ra, dec=record.dec,
                  error_radius=record.error_radius, position_ivorn=record.position_ivorn or "",
                  skymap_url=record.skymap_url or "", cancelled_by=record.cancelled_by or "",
                  updated_at=now)
    if existing is None:
        return AlertEvent.objects.create(key=record.key, created_at=now, **values)
    for name, value in values.items():
        setattr(existing, name, value)
    existing.save()
    return existing


def _open_requests(event: AlertEvent) -> list[Request]:
    return list(Request.objects.filter(
        alert_packets__event=event, status=RequestStatus.SUBMITTED).distinct())


def _text(value: str) -> str:
    """Text any database stores: PostgreSQL refuses NUL characters."""
    return value.replace("\x00", "\ufffd")


class _ReadOnly(Exception):
    """Raised to roll a reading back (``store=False``) once its result is known."""

    def __init__(self, result: IntakeResult) -> None:
        super().__init__("a reading, not stored")
        self.result = result


def ingest(data: bytes, *, source: str, unit: UnitConfig,
           now: datetime | None = None, store: bool = True) -> IntakeResult:
    """The intake of one packet. With ``store=False`` the packet is judged exactly as
    it would be (its event, the strategy's verdict, the request it would submit) and
    nothing is kept: a reading does not make the same packet, sent later, a duplicate."""
    if store:
        return _ingest_packet(data, source, unit, now or clock.now(), store=True)
    try:
        with transaction.atomic():
            raise _ReadOnly(_ingest_packet(data, source, unit, now or clock.now(),
                                           store=False))
    except _ReadOnly as reading:
        reading.result.stored = False
        return reading.result


def already_received(ivorn: str) -> AlertPacket | None:
    """The stored packet of this IVORN, if one arrived before (by any way in)."""
    return AlertPacket.objects.filter(ivorn=ivorn).order_by("id").first()


def duplicate_reason(packet: AlertPacket) -> str:
    return (f"duplicate: {packet.ivorn} was already received "
            f"{packet.received_at:%Y-%m-%d %H:%M:%S} UTC from {packet.source} "
            f"(decision {packet.decision}); nothing done")


def _ingest_packet(data: bytes, source: str, unit: UnitConfig, received: datetime, *,
                   store: bool) -> IntakeResult:
    try:
        alert = parse_voevent(data)
    except VOEventError as exc:
        refused = RefusedPacket.objects.create(
            received_at=received, source=_text(source)[:100], size=len(data),
            reason=_text(str(exc))[:500], head=_text(data[:HEAD].decode("utf-8", "replace")))
        log(Step.RECEIVED, f"{len(data)} bytes from {source}", at=received)
        log(Step.REJECTED, f"refused: {refused.reason}", data={"refused": refused.pk})
        return IntakeResult("REFUSED", refused.reason, refused=refused)
    with transaction.atomic():
        return _ingest(alert, data, source, unit, received, store)


def _ingest(alert: Alert, data: bytes, source: str, unit: UnitConfig,
            received: datetime, store: bool = True) -> IntakeResult:
    parsed_at = clock.now()
    events = _known_events(alert)
    decision = grouping.decide(alert, [_record_of(e) for e in events])
    record = alert.summary()
    if decision.outcome == grouping.Outcome.DUPLICATE:
        original = already_received(alert.ivorn)
        reason = duplicate_reason(original) if original else decision.reason
        log(Step.RECEIVED, f"{len(data)} bytes from {source}", packet=original, at=received)
        log(Step.REJECTED, reason, packet=original)
        return IntakeResult("DUPLICATE", reason, packet=original, record=record)
    existing = next((e for e in events if e.key == decision.event.key), None)
    event = _store_event(decision.event, existing, parsed_at)
    strategy_row = active_strategy()
    packet = AlertPacket.objects.create(
        event=event, ivorn=alert.ivorn, role=alert.role, mission=alert.mission,
        instrument=alert.instrument or "", notice_type=alert.notice_type,
        trigger_id=alert.trigger_id or "", event_time=alert.event_time, ra=alert.ra,
        dec=alert.dec, error_radius=alert.error_radius, record=record,
        raw=data.decode("utf-8", errors="replace"), source=source[:100],
        received_at=received, decision=Decision.REJECTED, reason="", strategy=strategy_row)
    log(Step.RECEIVED, f"{len(data)} bytes from {source}", packet=packet, at=received)
    log(Step.PARSED, f"{alert.mission} {alert.notice_type} trigger {alert.trigger_id}",
        packet=packet, at=parsed_at, record=record)
    log(Step.GROUPED, decision.reason, packet=packet, outcome=str(decision.outcome))

    if decision.cancels:
        cancelled = _open_requests(event)
        for request in cancelled:
            requests_store.cancel_request(request, f"retracted by {alert.ivorn}",
                                          actor=SYSTEM)
        log(Step.CANCELLED, f"retraction: {len(cancelled)} request(s) cancelled",
            packet=packet, requests=[r.pk for r in cancelled])
        return _conclude(packet, Decision.RETRACTION, decision.reason, record)
    if not decision.observable:
        return _conclude(packet, Decision.REJECTED, decision.reason, record)
    open_requests = _open_requests(event)
    if open_requests and not decision.position_updated:
        reason = (f"already observing {event.key} (request #{open_requests[0].pk}); "
                  "this packet does not improve the position")
        return _conclude(packet, Decision.REJECTED, reason, record)

    best = dataclasses.replace(alert, ra=event.ra, dec=event.dec,
                               error_radius=event.error_radius)
    strategy = load_strategy(strategy_row.text)
    verdict = decide(best, strategy, unit, clock.now(), version=strategy_row.version)
    checks = [dataclasses.asdict(c) for c in verdict.checks]
    if not verdict.accepted or verdict.request is None:
        return _conclude(packet, Decision.REJECTED, verdict.reason, record, checks)
    for request in open_requests:
        requests_store.cancel_request(request, f"position refined by {alert.ivorn}",
                                      actor=SYSTEM)
        log(Step.CANCELLED, f"request #{request.pk} replaced: better position",
            packet=packet, request=request.pk)
    owner = alert_user(verdict.request.scientific_program)
    request = requests_store.create_request(verdict.request, owner, actor=SYSTEM)
    packet.request = request
    log(Step.ACCEPTED, verdict.reason, packet=packet, rule=verdict.rule,
        strategy=f"{strategy_row.name} v{strategy_row.version}", checks=checks)
    log(Step.REQUEST, f"request #{request.pk} submitted ({request.sequences.count()} "
        "sequence(s))", packet=packet, request=request.pk)
    result = _conclude(packet, Decision.ACCEPTED, verdict.reason, record, checks)
    result.request = request
    result.sequences = request.sequences.count()
    if store:  # a reading leaves the simulated sky alone too
        _simulate_afterglow(event, unit)
    return result


def _simulate_afterglow(event: AlertEvent, unit: UnitConfig) -> None:
    """On a simulated observatory, the burst's afterglow appears in the simulated sky at
    the event's position and time, once per event, so that the analysis has a transient
    to find (tests and benchmarks compare with each frame's truth)."""
    from pyros.simulators import transients

    magnitude = unit.alerts.simulated_afterglow_magnitude
    if event.ra is None or event.dec is None or event.status == EventStatus.TEST \
            or magnitude is None:
        return
    if not all(unit.devices[c.camera].backend == "sim" for c in unit.channels):
        return
    if any(t.t0 == (event.event_time or event.created_at) and abs(t.dec - event.dec) < 1.0
           for t in transients.registered_transients()):
        return
    transients.inject_afterglow(event.ra, event.dec, event.event_time or event.created_at,
                                magnitude=magnitude, decay=unit.alerts.simulated_afterglow_decay)


def _conclude(packet: AlertPacket, decision: Decision, reason: str, record: dict,
              checks: list | None = None) -> IntakeResult:
    # The parts of the packet that could not be used stay in its reason whoever decided
    # (the grouping already says them; the strategy does not).
    flags = [f"flagged: {flag}" for flag in record.get("flags", [])]
    reason = "; ".join([reason, *(flag for flag in flags if flag not in reason)])
    packet.decision = decision
    packet.reason = reason
    packet.save(update_fields=["decision", "reason", "request"])
    if decision == Decision.REJECTED:
        log(Step.REJECTED, reason, packet=packet, checks=checks or [])
    return IntakeResult(decision.value, reason, packet=packet, record=record,
                        checks=checks or [])


def on_sequence_started(sender, *, sequence_id: int, slew_at: datetime, **kwargs) -> None:
    """The majordome commanded the slew of a sequence: if it is an alert's, the decision
    log gets its last step (the latency's (d))."""
    packet = AlertPacket.objects.filter(request__sequences__pk=sequence_id) \
        .order_by("-id").first()
    if packet is not None:
        log(Step.SLEW, f"slew commanded for sequence #{sequence_id}", packet=packet,
            at=slew_at, sequence=sequence_id)
