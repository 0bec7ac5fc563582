"""Packets grouped into events, and what each new packet changes.

One burst or one gravitational-wave candidate arrives as a series of packets: Swift BAT,
then XRT, then UVOT (one ``TrigID``); Fermi GBM alert, flight, ground, final positions
(one ``TrigID``); INTEGRAL wake-up then refined; SVOM ECLAIRs then MXT (one burst id);
LVK preliminary, initial, updates (one superevent id); IceCube revisions (one run and
event). The telescope observes events, not packets, so each packet is matched to the
event it belongs to (same mission and trigger id, or a citation of a packet already
seen) and the decision says what it changes:

* the same IVORN twice is a duplicate: nothing changes;
* the position moves only to a real position with a smaller error radius, so a later,
  coarser packet (a GBM ground position after an XRT one) never spoils the pointing;
* a retraction cancels the event, for good: later packets of it are recorded but the
  event stays cancelled;
* test packets make test events, kept apart from real ones and never observable;
* a packet whose parts could not be used (``Alert.flags``: a position in no sky frame,
  an error radius of -1, an empty citation) joins its event like any other, and each
  flag is one of the reasons, so the alert's page says why it is not observed.

Everything here is pure functions over small frozen records, so the Django layer can
call it with rows from the database and store the returned event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from pyros.alerts.voevent import Alert


@dataclass(frozen=True)
class PacketRecord:
    """A packet already stored for an event: what matching needs of it."""

    ivorn: str
    notice_type: str
    references: tuple[str, ...] = ()

    @classmethod
    def of(cls, alert: Alert) -> PacketRecord:
        return cls(alert.ivorn, alert.notice_type, tuple(r.ivorn for r in alert.references))


@dataclass(frozen=True)
class EventRecord:
    """An event as stored: its packets and its best position so far (ICRS degrees)."""

    key: str
    mission: str
    trigger_id: str | None
    is_test: bool
    packets: tuple[PacketRecord, ...] = ()
    event_time: datetime | None = None
    ra: float | None = None
    dec: float | None = None
    error_radius: float | None = None
    position_ivorn: str | None = None
    skymap_url: str | None = None
    cancelled_by: str | None = None

    @property
    def ivorns(self) -> frozenset[str]:
        return frozenset(packet.ivorn for packet in self.packets)

    @property
    def has_position(self) -> bool:
        return self.ra is not None and self.dec is not None

    @property
    def cancelled(self) -> bool:
        return self.cancelled_by is not None


class Outcome(StrEnum):
    DUPLICATE = "duplicate"
    NEW_EVENT = "new event"
    UPDATE = "update"


@dataclass(frozen=True)
class Decision:
    """What a packet does. ``event`` is the event after it, to be stored (unchanged for
    a duplicate, which changes nothing and is never observable); ``cancels`` asks for the
    event's requests to be cancelled; ``observable`` tells whether the event, now, may be
    observed at all (the strategy decides whether it will be); ``reasons`` explain all of
    it, for the decision log."""

    outcome: Outcome
    event: EventRecord
    position_updated: bool
    cancels: bool
    observable: bool
    reasons: tuple[str, ...]

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


def event_key(alert: Alert) -> str:
    """The key of the event a packet belongs to: mission and trigger id (packets without
    a trigger id are their own event). Test packets get keys of their own so that a test
    notice can never join, move or cancel a real event."""
    key = f"{alert.mission}:{alert.trigger_id}" if alert.trigger_id else f"ivorn:{alert.ivorn}"
    return f"test:{key}" if alert.is_test else key


def lookup(alert: Alert) -> tuple[str, frozenset[str]]:
    """What a store must fetch to decide on a packet: the events with this key, and the
    events holding any of these IVORNs (the packet's own, to find duplicates, and the
    ones it cites)."""
    return event_key(alert), frozenset({alert.ivorn, *(r.ivorn for r in alert.references)})


def find_event(alert: Alert, events: Iterable[EventRecord]) -> tuple[EventRecord | None, str]:
    """The event a (non-duplicate) packet updates, and why it matched; None for a new
    event. Same key first, then a citation of a packet of the event."""
    candidates = [event for event in events if event.is_test == alert.is_test]
    key = event_key(alert)
    for event in candidates:
        if event.key == key:
            return event, f"same {alert.mission} trigger {alert.trigger_id}"
    cited = {reference.ivorn: reference.cite for reference in alert.references}
    for event in candidates:
        shared = sorted(event.ivorns & cited.keys())
        if shared:
            return event, f"cites {shared[0]} ({cited[shared[0]]}) of event {event.key}"
    return None, ""


def decide(alert: Alert, events: Iterable[EventRecord]) -> Decision:
    """Decide what ``alert`` does, given the stored events it may belong to (those
    :func:`lookup` names; more do no harm)."""
    events = list(events)
    for event in events:
        if alert.ivorn in event.ivorns:
            return Decision(Outcome.DUPLICATE, event, False, False, False,
                            (f"duplicate: {alert.ivorn} already received for {event.key}",))

    event, why = find_event(alert, events)
    reasons: list[str] = []
    if alert.is_test:
        reasons.append(f"test packet ({alert.test_reason})")
    if event is None:
        outcome = Outcome.NEW_EVENT
        event = EventRecord(key=event_key(alert), mission=alert.mission,
                            trigger_id=alert.trigger_id, is_test=alert.is_test,
                            event_time=alert.event_time)
        reasons.append(f"new event {event.key}")
    else:
        outcome = Outcome.UPDATE
        reasons.append(f"update of {event.key}: {why}")
        if event.event_time is None and alert.event_time is not None:
            event = replace(event, event_time=alert.event_time)
    event = replace(event, packets=(*event.packets, PacketRecord.of(alert)))
    reasons.extend(f"flagged: {flag}" for flag in alert.flags)

    cancels = False
    position_updated = False
    if event.cancelled:
        reasons.append(f"the event was retracted by {event.cancelled_by}: it stays cancelled")
    elif alert.is_retraction:
        cancels = True
        event = replace(event, cancelled_by=alert.ivorn)
        reasons.append(f"retraction: {alert.notice_type} cancels {event.key}")
    else:
        position_updated, why = _position_update(event, alert)
        reasons.append(why)
        if position_updated:
            event = replace(event, ra=alert.ra, dec=alert.dec,
                            error_radius=alert.error_radius, position_ivorn=alert.ivorn)
        if alert.skymap_url and alert.skymap_url != event.skymap_url:
            event = replace(event, skymap_url=alert.skymap_url)
            reasons.append(f"sky map {alert.skymap_url}")

    observable, why = observability(event)
    reasons.append(why)
    return Decision(outcome, event, position_updated, cancels, observable, tuple(reasons))


def observability(event: EventRecord) -> tuple[bool, str]:
    """Whether an event may be observed at all, and why (not)."""
    if event.is_test:
        return False, "test event: logged, never observed"
    if event.cancelled:
        return False, f"cancelled: retracted by {event.cancelled_by}"
    if event.has_position:
        return True, (f"observable: position {event.ra:.4f}, {event.dec:+.4f} "
                      f"({_error_text(event.error_radius)})")
    if event.skymap_url:
        return True, "observable: sky map only, no single position"
    return False, "no position yet"


def _position_update(event: EventRecord, alert: Alert) -> tuple[bool, str]:
    """Whether the packet's position replaces the event's, and why: only a real position
    with a smaller error radius does."""
    if not alert.has_position:
        return False, "no position in this packet (none given, or the 0, 0 placeholder)"
    new = _error_text(alert.error_radius)
    if not event.has_position:
        return True, f"first position: {alert.ra:.4f}, {alert.dec:+.4f} ({new})"
    old = _error_text(event.error_radius)
    if alert.error_radius is None:
        return False, f"position kept: this one has no error radius, the event's has {old}"
    if event.error_radius is None or alert.error_radius < event.error_radius:
        return True, (f"position updated to {alert.ra:.4f}, {alert.dec:+.4f}: "
                      f"{new} is smaller than {old}")
    return False, f"position kept: {new} is not smaller than {old}"


def _error_text(error: float | None) -> str:
    if error is None:
        return "no error radius"
    if error < 1 / 60:
        return f"error {error * 3600:.1f} arcsec"
    if error < 1:
        return f"error {error * 60:.2f} arcmin"
    return f"error {error:.2f} deg"
