"""The REST API of the Alerts pages: the events received, one event with its packets and
their decision logs, and the active strategy. Read-only: packets arrive through the
broker, and the strategy is changed on its page, where a person confirms it.

The rights are the pages': the matrix gives READ on "alerts" to every profile, anonymous
visitors included, and the strategy to the profiles it gives "alerts.strategy" to.

The payload builders here are the one description of an event: the pages show the same
latency breakdown the API answers (:func:`latency`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from pydantic import BaseModel, ConfigDict, Field
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request as ApiRequest
from rest_framework.response import Response
from rest_framework.views import APIView

from pyros.agents.api import DetailOut
from pyros.alerts import store
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
from pyros.alerts.strategy import StrategyError, check_strategy, load_strategy
from pyros.config.loader import active_config
from pyros.monitoring.api import ReadsPage
from pyros.web.params import int_param

TAGS = ["alerts"]
ALERTS = "alerts"
STRATEGY = "alerts.strategy"
DEFAULT_LIMIT = 50
MAX_LIMIT = 500

#: The stages of a packet's handling whose latency is shown, in order: the name, and
#: the log steps that mark it, by preference (a retraction's decision is its CANCELLED
#: step; an accepted packet's CANCELLED step is the replaced request, after the decision).
STAGES: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = (
    ("parsed", ((Step.PARSED,),)),
    ("decided", ((Step.ACCEPTED, Step.REJECTED), (Step.CANCELLED,))),
    ("request", ((Step.REQUEST,),)),
    ("plan", ((Step.PLAN,),)),
    ("slew", ((Step.SLEW,),)),
)

_OUTPUT = ConfigDict(json_schema_serialization_defaults_required=True)


# --- Output models ---------------------------------------------------------------------


class LogOut(BaseModel):
    """One step of a packet's handling."""

    model_config = _OUTPUT

    step: Step
    at: datetime
    message: str
    data: dict[str, Any] = Field(description="what the step recorded (request id, plan id, "
                                             "rule, the strategy's checks…)")


class StageOut(BaseModel):
    """How long after the packet was received a stage was reached."""

    model_config = _OUTPUT

    stage: str = Field(description="parsed, decided, request, plan or slew")
    step: Step = Field(description="the log step that marks it")
    at: datetime
    since_received_ms: float
    since_previous_ms: float = Field(description="since the previous stage shown")
    real_since_received_ms: float | None = Field(
        description="the same in real (wall clock) time: differs under a simulated clock; "
                    "null for steps logged before PyROS kept it")
    real_since_previous_ms: float | None = Field(description="the same, since the previous "
                                                             "stage, in real time")


class PacketOut(BaseModel):
    """A packet of an event, as read, with its decision and what it led to."""

    model_config = _OUTPUT

    id: int
    ivorn: str
    role: str
    mission: str
    instrument: str
    notice_type: str
    trigger_id: str
    event_time: datetime | None
    ra: float | None = Field(description="ICRS degrees")
    dec: float | None = Field(description="ICRS degrees")
    error_radius: float | None = Field(description="degrees")
    position_used: bool = Field(description="the event's position is this packet's")
    source: str
    received_at: datetime
    decision: Decision
    reason: str
    flags: list[str] = Field(description="parts of the packet that could not be used, each "
                                         "with why (the packet is kept and grouped)")
    strategy_version: int | None = Field(description="the strategy version that decided")
    request: int | None = Field(description="the request it made, if any")
    record: dict[str, Any] = Field(description="the normalised alert record")
    log: list[LogOut]
    latency: list[StageOut] = Field(description="the stages reached, from the reception: "
                                                "`since_*_ms` in the clock's time, "
                                                "`real_since_*_ms` in wall clock time")
    simulated_clock: bool = Field(description="handled under a simulated clock: the "
                                              "clock's latencies are simulated time")


class EventSummaryOut(BaseModel):
    """An event: its best position and what the latest packet decided."""

    model_config = _OUTPUT

    id: int
    key: str = Field(description="mission:trigger id (test: prefix for test events)")
    mission: str
    trigger_id: str
    status: EventStatus
    event_time: datetime | None
    ra: float | None = Field(description="ICRS degrees; none for sky-map-only events")
    dec: float | None
    error_radius: float | None = Field(description="degrees")
    position_ivorn: str = Field(description="the packet the position comes from")
    skymap_url: str
    cancelled_by: str = Field(description="the retraction's IVORN, when retracted")
    created_at: datetime
    updated_at: datetime
    packet_count: int
    decision: Decision | None = Field(description="the latest packet's decision")
    reason: str = Field(description="the latest packet's reason")
    requests: list[int] = Field(description="the requests its packets made, newest first")


class EventOut(EventSummaryOut):
    """An event with its packets (oldest first), their logs and latencies."""

    packets: list[PacketOut]


class EventListOut(BaseModel):
    """Events, newest first."""

    model_config = _OUTPUT

    count: int = Field(description="how many events match, in all")
    limit: int
    offset: int
    refused_count: int = Field(description="packets refused as unreadable, in all")
    events: list[EventSummaryOut]


class StrategyOut(BaseModel):
    """The active version of the alert strategy."""

    model_config = _OUTPUT

    version: int
    name: str
    text: str = Field(description="the strategy as written (TOML, or JSON)")
    created_at: datetime
    created_by: str | None = Field(description="who saved it; none for the shipped default")
    comment: str
    problems: list[str] = Field(description="what the unit configuration says against it")


# --- What the views, the pages and the CLI share ---------------------------------------


def events_with_packets(events: QuerySet[AlertEvent], *,
                        logs: bool = False) -> QuerySet[AlertEvent]:
    """Events with their packets (oldest first), requests and, with ``logs``, the
    packets' decision logs: a fixed number of queries however many there are."""
    packets = AlertPacket.objects.select_related("request", "strategy").order_by(
        "received_at", "id")
    if logs:
        packets = packets.prefetch_related("log")
    return events.prefetch_related(Prefetch("packets", queryset=packets, to_attr="packet_list"))


def packets_of(event: AlertEvent) -> list[AlertPacket]:
    found = getattr(event, "packet_list", None)
    if found is None:
        found = list(event.packets.select_related("request", "strategy").order_by(
            "received_at", "id"))
        event.packet_list = found  # type: ignore[attr-defined]
    return found


def latest_packet(event: AlertEvent) -> AlertPacket | None:
    packets = packets_of(event)
    return packets[-1] if packets else None


def requests_of(event: AlertEvent) -> list[Any]:
    """The requests the event's packets made, newest first, once each."""
    seen: dict[int, Any] = {}
    for packet in reversed(packets_of(event)):
        if packet.request is not None and packet.request.pk not in seen:
            seen[packet.request.pk] = packet.request
    return list(seen.values())


def latency(logs: list[AlertLog]) -> list[StageOut]:
    """The stages a packet reached, each with the milliseconds since the reception and
    since the previous stage; none without a RECEIVED step."""
    received = next((entry for entry in logs if entry.step == Step.RECEIVED), None)
    if received is None:
        return []
    stages, previous, previous_wall = [], received.at, received.wall_at
    for name, choices in STAGES:
        entry = next((e for steps in choices for e in logs if e.step in steps), None)
        if entry is None:
            continue
        stages.append(StageOut(
            stage=name, step=entry.step, at=entry.at,
            since_received_ms=_ms(entry.at - received.at),
            since_previous_ms=_ms(entry.at - previous),
            real_since_received_ms=_wall_ms(entry.wall_at, received.wall_at),
            real_since_previous_ms=_wall_ms(entry.wall_at, previous_wall)))
        previous, previous_wall = entry.at, entry.wall_at
    return stages


def _wall_ms(end: datetime | None, start: datetime | None) -> float | None:
    return None if end is None or start is None else _ms(end - start)


def simulated_clock(logs: list[AlertLog]) -> bool:
    """Whether a log was written under a simulated clock (its times stray from the wall's
    by more than a second)."""
    return any(e.wall_at is not None and abs((e.at - e.wall_at).total_seconds()) > 1.0
               for e in logs)


def _ms(delta: Any) -> float:
    return round(delta.total_seconds() * 1000.0, 1)


def _summary_fields(event: AlertEvent) -> dict[str, Any]:
    latest = latest_packet(event)
    return {
        "id": event.pk, "key": event.key, "mission": event.mission,
        "trigger_id": event.trigger_id, "status": event.status, "event_time": event.event_time,
        "ra": event.ra, "dec": event.dec, "error_radius": event.error_radius,
        "position_ivorn": event.position_ivorn, "skymap_url": event.skymap_url,
        "cancelled_by": event.cancelled_by, "created_at": event.created_at,
        "updated_at": event.updated_at, "packet_count": len(packets_of(event)),
        "decision": latest.decision if latest else None,
        "reason": latest.reason if latest else "",
        "requests": [r.pk for r in requests_of(event)],
    }


def packet_out(packet: AlertPacket, event: AlertEvent) -> PacketOut:
    logs = list(packet.log.all())
    return PacketOut(
        id=packet.pk, ivorn=packet.ivorn, role=packet.role, mission=packet.mission,
        instrument=packet.instrument, notice_type=packet.notice_type,
        trigger_id=packet.trigger_id, event_time=packet.event_time, ra=packet.ra,
        dec=packet.dec, error_radius=packet.error_radius,
        position_used=bool(event.position_ivorn) and packet.ivorn == event.position_ivorn,
        source=packet.source, received_at=packet.received_at, decision=packet.decision,
        reason=packet.reason, flags=list(packet.record.get("flags", [])),
        strategy_version=packet.strategy.version if packet.strategy else None,
        request=packet.request_id, record=packet.record,
        log=[LogOut(step=e.step, at=e.at, message=e.message, data=e.data) for e in logs],
        latency=latency(logs), simulated_clock=simulated_clock(logs))


def event_payload(event: AlertEvent) -> dict[str, Any]:
    """An event with its packets, logs and latencies, JSON-ready (times in UTC)."""
    packets = [packet_out(p, event) for p in packets_of(event)]
    return EventOut(**_summary_fields(event), packets=packets).model_dump(mode="json")


def event_list(*, limit: int = DEFAULT_LIMIT, offset: int = 0, status: str | None = None,
               mission: str | None = None) -> EventListOut:
    events = AlertEvent.objects.order_by("-created_at", "-id")
    if status:
        events = events.filter(status=status)
    if mission:
        events = events.filter(mission__iexact=mission)
    rows = events_with_packets(events)[offset:offset + limit]
    return EventListOut(
        count=events.count(), limit=limit, offset=offset,
        refused_count=RefusedPacket.objects.count(),
        events=[EventSummaryOut(**_summary_fields(e)) for e in rows])


def strategy_problems(strategy: Strategy) -> list[str]:
    """What the unit says against a stored version (a version that no longer loads,
    after a change of the format, says that instead)."""
    try:
        return check_strategy(load_strategy(strategy.text), active_config())
    except StrategyError as exc:
        return [str(exc)]


def strategy_out(strategy: Strategy) -> StrategyOut:
    return StrategyOut(
        version=strategy.version, name=strategy.name, text=strategy.text,
        created_at=strategy.created_at,
        created_by=strategy.created_by.username if strategy.created_by else None,
        comment=strategy.comment, problems=strategy_problems(strategy))


def _status_param(params: Any) -> str | None:
    raw = params.get("status", "")
    if raw == "":
        return None
    if raw not in EventStatus.values:
        raise ParseError(f"unknown status '{raw}' (statuses: {', '.join(EventStatus.values)})")
    return raw


# --- Views -----------------------------------------------------------------------------


class AlertsApiView(APIView):
    # AllowAny first: the schema then says that no authentication is needed.
    permission_classes: ClassVar = [AllowAny, ReadsPage]
    right: ClassVar[str] = ALERTS


class EventListView(AlertsApiView):
    @extend_schema(
        operation_id="alerts_events_list", tags=TAGS, summary="The alert events",
        description="Every event (the packets of one trigger), newest first: its best "
                    "position, its status (ACTIVE, RETRACTED, TEST), how many packets it "
                    "has, what the latest decided and why, and the requests made. Page "
                    "with `limit` and `offset`; `refused_count` is the number of packets "
                    "refused as unreadable.",
        parameters=[
            OpenApiParameter("limit", int, default=DEFAULT_LIMIT,
                             description=f"how many events at most (up to {MAX_LIMIT})"),
            OpenApiParameter("offset", int, default=0, description="skip this many first"),
            OpenApiParameter("status", str, enum=list(EventStatus.values),
                             description="only the events of this status"),
            OpenApiParameter("mission", str, description="only this mission's events"),
        ],
        responses={200: EventListOut,
                   400: OpenApiResponse(DetailOut, description="bad parameter")},
    )
    def get(self, request: ApiRequest) -> Response:
        params = request.query_params
        page = event_list(limit=int_param(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
                          offset=int_param(params, "offset", 0, 0, 2**31 - 1),
                          status=_status_param(params), mission=params.get("mission") or None)
        return Response(page.model_dump(mode="json"))


class EventDetailView(AlertsApiView):
    @extend_schema(
        operation_id="alerts_events_retrieve", tags=TAGS, summary="One alert event",
        description="The event with its packets, oldest first: each packet's normalised "
                    "record, decision and reason, the strategy version that decided, the "
                    "request it made, its decision log and the latency of each stage "
                    "(parsed, decided, request, plan, slew) since its reception.",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH,
                                     description="the event's id")],
        responses={200: EventOut,
                   404: OpenApiResponse(DetailOut, description="no such event")},
    )
    def get(self, request: ApiRequest, pk: int) -> Response:
        event = events_with_packets(AlertEvent.objects.filter(pk=pk), logs=True).first()
        if event is None:
            raise NotFound(f"no alert event #{pk}")
        return Response(event_payload(event))


class StrategyView(AlertsApiView):
    permission_classes: ClassVar = [ReadsPage]
    right: ClassVar[str] = STRATEGY

    @extend_schema(
        operation_id="alerts_strategy_retrieve", tags=TAGS, summary="The active strategy",
        description="The version of the alert strategy that decides now: its text, who "
                    "saved it and why, and what the unit configuration says against it. "
                    "New versions are saved on the Strategy page.",
        responses={200: StrategyOut,
                   401: OpenApiResponse(DetailOut, description="not authenticated"),
                   403: OpenApiResponse(DetailOut, description="the profile does not "
                                                               "allow this")},
    )
    def get(self, request: ApiRequest) -> Response:
        return Response(strategy_out(store.active_strategy()).model_dump(mode="json"))
