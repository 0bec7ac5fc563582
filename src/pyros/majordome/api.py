"""The REST API of the majordome: its state with the answer to "why are we not
observing?", the operator's actions, and the night log.

Everyone reads the state and the log, visitors included: the rights matrix gives READ on
"observatory" to every profile, as for the rest of the Observatory page. An action needs
ACT on its own right (``observatory.bypass``, ``.lock`` and ``.night_ack``: the
Operator; ``.mode`` and ``.stop``: IE/IS and above) and a state that allows it. The view
answers 403 and 409 from the same checks as :func:`store.apply_action`, which checks
again inside its transaction and is the only writer: a page or a script that is behind
the state cannot do what the state no longer allows.

The pages and ``pyros observatory`` draw from the functions here, so that the three say
the same thing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, ClassVar

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError, PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request as ApiRequest
from rest_framework.response import Response
from rest_framework.views import APIView

from pyros import clock
from pyros.accounts.models import user_access, user_level
from pyros.accounts.rights import Access
from pyros.agents.api import DetailOut
from pyros.config.schema import UnitConfig
from pyros.dates import parse_day
from pyros.majordome import store
from pyros.majordome.controls import ACTIONS, Action, Situation, refusal
from pyros.majordome.models import LogKind, MajordomeState, NightLogEntry, ObservatoryControl
from pyros.majordome.states import Mode, Phase, State
from pyros.majordome.timeline import Timeline, Transition, lay_out
from pyros.monitoring.api import ReadsPage
from pyros.scheduling.store import tonight

TAGS = ["observatory"]
OBSERVATORY = "observatory"
CONTROL = "observatory.control"
#: The night-log lines of the Observatory page.
RECENT = 20
#: At most this many lines of one night in one answer (a night writes a few hundred).
MAX_LOG = 2000

_OUTPUT = ConfigDict(json_schema_serialization_defaults_required=True)

#: Says whether the reader may act on a right of the matrix.
May = Callable[[str], bool]


# --- Output and input models -----------------------------------------------------------


class SwitchOut(BaseModel):
    """One of the operator's switches."""

    model_config = _OUTPUT

    on: bool
    by: str = Field(description="who set or cleared it last (web:<login>, cli:<login>); "
                                "empty: never touched")
    at: datetime | None = Field(description="when it was set or cleared last")
    pending: str = Field(default="", description="why it is not in force yet (the PLC "
                                                 "BYPASS waits for the PLC's echo)")


class NightAckOut(BaseModel):
    """The night's ACK: observing waits for it on sites that require it."""

    model_config = _OUTPUT

    required: bool = Field(description="this site observes only once the ACK is given")
    given: bool = Field(description="given for tonight (from a page, the CLI or the "
                                    "PLC's button), or not required")
    night: date = Field(description="tonight: the date of its evening")
    by: str = Field(description="who gave tonight's ACK from a page or the CLI; empty "
                                "otherwise (the PLC's button, or not given)")
    at: datetime | None


class SwitchesOut(BaseModel):
    """The operator's switches."""

    model_config = _OUTPUT

    locked: SwitchOut = Field(description="LOCK: closed and parked until unlocked")
    bypass: SwitchOut = Field(description="PLC BYPASS: unsafe taken as safe")
    stopped: SwitchOut = Field(description="STOP: the plan is not executed until RESUME")
    night_ack: NightAckOut


class ControlActionOut(BaseModel):
    """An operator's action the reader's profile may take, and whether it may now."""

    model_config = _OUTPUT

    action: Action
    label: str
    confirm: str = Field(description="the question to ask before sending it")
    available: bool = Field(description="the state allows it now")
    reason: str = Field(description="why not, when not available")


class RunningSequenceOut(BaseModel):
    """The sequence the majordome executes."""

    model_config = _OUTPUT

    id: int
    name: str
    request_id: int


class MajordomeOut(BaseModel):
    """The majordome's latest decision, the switches, and the reader's actions."""

    model_config = _OUTPUT

    now: datetime = Field(description="the server's clock (UTC), possibly simulated")
    state: State
    cause: str = Field(description="why it is in this state")
    since: datetime | None = Field(description="when it entered this state")
    phase: Phase | None = Field(description="where the sun is; null before the first "
                                            "decision")
    sun_altitude: float | None = Field(description="degrees")
    why_not: list[str] = Field(description="why the telescope is not observing, most "
                                           "important first; empty while observing")
    work: str = Field(description="what the executor runs; empty when idle")
    sequence: RunningSequenceOut | None
    fault: str = Field(description="a device fault holding the observatory closed")
    decided_at: datetime | None = Field(description="the latest decision")
    running: bool = Field(description="the majordome decided recently; if not, it is not "
                                      "running and nothing here is current")
    mode: Mode = Field(description="the operating mode")
    safe: bool = Field(description="the monitoring's safety decision (stale: unsafe), "
                                   "before any bypass")
    switches: SwitchesOut
    actions: list[ControlActionOut] = Field(
        description="the actions the reader's profile may take, each with whether the "
                    "state allows it now; empty for profiles that may take none")


class ControlIn(BaseModel):
    """An operator's action."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    action: str = Field(min_length=1, max_length=40,
                        description="one of: " + ", ".join(a.value for a in Action))


class ControlOut(BaseModel):
    """An action taken: the switches are written and the majordome is woken."""

    model_config = _OUTPUT

    action: Action
    message: str
    majordome: MajordomeOut = Field(description="the state just after the action: the "
                                                "majordome reacts at its next decision")


class NightLogEntryOut(BaseModel):
    """One line of the night log."""

    model_config = _OUTPUT

    id: int
    time: datetime
    night: date
    kind: LogKind
    message: str
    detail: dict[str, Any]
    sequence_id: int | None


class NightLogOut(BaseModel):
    """One night's log, newest first."""

    model_config = _OUTPUT

    night: date
    kind: LogKind | None = Field(description="the kind asked for; null: every kind")
    entries: list[NightLogEntryOut]
    truncated: bool = Field(description=f"more than {MAX_LOG} lines: the oldest are left "
                                        "out")


# --- What the views, the pages and the CLI share ---------------------------------------


def actions_out(situation: Situation, may: May) -> list[ControlActionOut]:
    """Every action whose right the reader has, with why the state refuses it if it
    does."""
    out = []
    for action, spec in ACTIONS.items():
        if not may(spec.right):
            continue
        why_not = refusal(action, situation)
        out.append(ControlActionOut(action=action, label=spec.label, confirm=spec.confirm,
                                    available=why_not is None, reason=why_not or ""))
    return out


def switches_out(control: ObservatoryControl, situation: Situation, night: date,
                 plc_bypass: bool) -> SwitchesOut:
    """``plc_bypass``: what the PLC's status says of the bypass, which the operator's
    switch waits for."""
    ack_here = control.ack_night == night
    pending = ""
    if control.bypass != plc_bypass:
        pending = ("waiting for the PLC to echo it: unsafe is not taken as safe yet"
                   if control.bypass else "the PLC has not echoed its end yet")
    return SwitchesOut(
        locked=SwitchOut(on=control.locked, by=control.locked_by, at=control.locked_at),
        bypass=SwitchOut(on=control.bypass, by=control.bypass_by, at=control.bypass_at,
                         pending=pending),
        stopped=SwitchOut(on=control.stopped, by=control.stopped_by, at=control.stopped_at),
        night_ack=NightAckOut(required=situation.ack_required, given=situation.ack_given,
                              night=night, by=control.ack_by if ack_here else "",
                              at=control.ack_at if ack_here else None))


def majordome_now(may: May, unit: UnitConfig | None = None,
                  now: datetime | None = None) -> MajordomeOut:
    """The majordome as the database has it, judged at ``now``, with the actions ``may``
    allows."""
    unit = unit or settings.UNIT
    now = now or clock.now()
    state = MajordomeState.current()
    around = store.surroundings(unit, now)
    situation = store.situation(unit, now, state=state, around=around)
    sequence = None
    if state.sequence_id is not None and state.sequence is not None:
        sequence = RunningSequenceOut(id=state.sequence.pk, name=state.sequence.name,
                                      request_id=state.sequence.request_id)
    return MajordomeOut(
        now=now, state=state.state, cause=state.cause, since=state.since,
        phase=state.phase or None, sun_altitude=state.sun_altitude,
        why_not=list(state.why_not or []), work=state.work, sequence=sequence,
        fault=state.fault, decided_at=state.decided_at, running=state.is_current(now),
        mode=situation.mode, safe=situation.safe,
        switches=switches_out(around.control, situation, tonight(unit, now),
                              around.plc_bypass),
        actions=actions_out(situation, may))


def may_act(user: object) -> May:
    """What a web user may do: ACT on the right in the matrix."""
    return lambda right: user_access(user, right) >= Access.ACT


def entry_out(entry: NightLogEntry) -> NightLogEntryOut:
    return NightLogEntryOut(id=entry.pk, time=entry.time, night=entry.night, kind=entry.kind,
                            message=entry.message, detail=entry.detail or {},
                            sequence_id=entry.sequence_id)


def recent_log(count: int = RECENT) -> list[NightLogEntryOut]:
    """The latest lines of the log, whatever their night, newest first."""
    return [entry_out(e) for e in NightLogEntry.objects.order_by("-time", "-id")[:count]]


def night_log(night: date, kind: LogKind | None = None) -> NightLogOut:
    """One night's log, newest first, at most MAX_LOG lines."""
    rows = NightLogEntry.objects.filter(night=night)
    if kind is not None:
        rows = rows.filter(kind=kind)
    entries = list(rows.order_by("-time", "-id")[:MAX_LOG + 1])
    return NightLogOut(night=night, kind=kind, entries=[entry_out(e) for e in entries[:MAX_LOG]],
                       truncated=len(entries) > MAX_LOG)


def night_timeline(night: date, now: datetime, tonight_is: date) -> Timeline | None:
    """The night's states as a strip, to now for tonight, else to its last line."""
    rows = NightLogEntry.objects.filter(night=night)
    transitions = []
    for entry in rows.filter(kind=LogKind.STATE).order_by("time", "id"):
        try:
            state = State(entry.detail.get("to"))
        except ValueError:  # a line written by hand, or by an older PyROS
            continue
        transitions.append(Transition(entry.time, state, str(entry.detail.get("cause", ""))))
    last = rows.order_by("-time", "-id").values_list("time", flat=True).first()
    end = now if night == tonight_is else last
    return lay_out(transitions, end) if end is not None else None


def parse_night(raw: str | None, unit: UnitConfig, now: datetime) -> date:
    """``YYYY-MM-DD``, tonight when not given; ValueError with a sentence otherwise."""
    if raw in (None, ""):
        return tonight(unit, now)
    return parse_day(raw, "night", " (the date of its evening)")


def parse_kind(raw: str | None) -> LogKind | None:
    if raw in (None, ""):
        return None
    try:
        return LogKind(raw.upper())
    except ValueError:
        raise ValueError(f"kind must be one of {', '.join(LogKind.values)}, "
                         f"not '{raw}'") from None


def parse_action(raw: str) -> Action:
    """An action by its name (``go_remote``, ``go-remote`` or ``GO_REMOTE``)."""
    try:
        return Action(raw.strip().lower().replace("-", "_"))
    except ValueError:
        raise ValueError(f"'{raw}' is not an action (actions: "
                         f"{', '.join(a.value for a in Action)})") from None


def _json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


# --- Permissions and views ---------------------------------------------------------------


class SeesControl(BasePermission):
    """READ on "observatory.control": the profiles the control page is shown to."""

    message = "Your profile does not give access to the observatory's control."

    def has_permission(self, request: ApiRequest, view: APIView) -> bool:
        return user_access(request.user, CONTROL) >= Access.READ


class Refused(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "refused"


class ReadView(APIView):
    # AllowAny first: the schema then says that no authentication is needed.
    permission_classes: ClassVar = [AllowAny, ReadsPage]
    right: ClassVar[str] = OBSERVATORY


class MajordomeView(ReadView):
    @extend_schema(
        operation_id="observatory_majordome", tags=TAGS,
        summary="The majordome's state, why it is not observing, and the actions",
        description="The state of the majordome's latest decision with its cause, the sun, "
                    "what the executor runs, a device fault, and `why_not`: every reason "
                    "the telescope is not observing. Check `running`: when false the "
                    "majordome stopped deciding and the rest is old. `switches` are the "
                    "operator's; `actions` are those the reader's profile may take (none "
                    "for visitors), each saying whether the state allows it now.",
        responses={200: MajordomeOut},
    )
    def get(self, request: ApiRequest) -> Response:
        return Response(_json(majordome_now(may_act(request.user))))


class ControlView(APIView):
    permission_classes: ClassVar = [IsAuthenticated, SeesControl]
    parser_classes: ClassVar = [JSONParser]

    @extend_schema(
        operation_id="observatory_control", tags=TAGS,
        summary="Take an operator's action: lock, bypass, stop, night ACK, mode",
        description="Actions: " + "; ".join(f"`{a.value}` ({spec.label}, right "
                                              f"`{spec.right}`)"
                                              for a, spec in ACTIONS.items())
                    + ". Refused with 403 when the profile has no ACT on the action's "
                      "right, with 409 and the reason when the state does not allow it "
                      "now (the same reasons as `actions[].reason` of the majordome's "
                      "state). Taken, it is written to the night log and the majordome "
                      "is woken; it reacts at its next decision.",
        request=ControlIn,
        responses={200: ControlOut,
                   400: OpenApiResponse(DetailOut, description="unknown action"),
                   401: OpenApiResponse(DetailOut, description="not authenticated"),
                   403: OpenApiResponse(DetailOut, description="the profile may not take "
                                                               "this action"),
                   409: OpenApiResponse(DetailOut, description="not available in this "
                                                               "state: the reason")},
    )
    def post(self, request: ApiRequest) -> Response:
        action = _action_of(request.data)
        spec = ACTIONS[action]
        level = user_level(request.user)
        if not may_act(request.user)(spec.right):
            raise PermissionDenied(f"{spec.label}: your profile may not do this")
        try:
            message = store.apply_action(settings.UNIT, action,
                                         who=f"web:{request.user.username}", level=level)
        except store.ControlRefused as exc:
            raise Refused(str(exc)) from exc
        return Response(_json(ControlOut(action=action, message=message,
                                          majordome=majordome_now(may_act(request.user)))))


def _action_of(data: Any) -> Action:
    if not isinstance(data, dict):
        raise ParseError("the body must be a JSON object")
    try:
        body = ControlIn.model_validate(data)
    except ValidationError as exc:
        raise ParseError("; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: "
                                   f"{e['msg']}" for e in exc.errors())) from exc
    try:
        return parse_action(body.action)
    except ValueError as exc:
        raise ParseError(str(exc)) from exc


class NightLogView(ReadView):
    @extend_schema(
        operation_id="observatory_log", tags=TAGS,
        summary="The night log: what the majordome and the operators did, and why",
        description="State changes with their cause, sequences, calibrations, safety, "
                    f"the operators' actions, devices and plans; newest first, at most "
                    f"{MAX_LOG} lines.",
        parameters=[
            OpenApiParameter("night", date, description="the date of the night's evening "
                                                        "(default: tonight)"),
            OpenApiParameter("kind", str, enum=list(LogKind.values),
                             description="only this kind of line"),
        ],
        responses={200: NightLogOut,
                   400: OpenApiResponse(DetailOut, description="bad `night` or `kind`")},
    )
    def get(self, request: ApiRequest) -> Response:
        try:
            night = parse_night(request.query_params.get("night"), settings.UNIT,
                                clock.now())
            kind = parse_kind(request.query_params.get("kind"))
        except ValueError as exc:
            raise ParseError(str(exc)) from exc
        return Response(_json(night_log(night, kind)))
