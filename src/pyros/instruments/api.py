"""The REST API of the Telescope & Instruments and Cameras pages: every device's last
status with the operating mode, and remote-control commands for the devices agent.

Reading needs READ on "telescope" (mount, dome, focusers, filter wheels) or "cameras"
(cameras, filter wheels) in the rights matrix; each sees the devices of their page.
Sending a command needs ACT on "telescope.control", a body that says the user
confirmed it, and the REMOTE operating mode (409 otherwise); the agent checks the mode
again when the command runs. Commands are followed with /api/agents/commands/{id}/.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request as ApiRequest
from rest_framework.response import Response
from rest_framework.views import APIView

from pyros import clock
from pyros.accounts.models import user_access
from pyros.accounts.rights import Access
from pyros.agents import bus
from pyros.agents.api import CommandOut, DetailOut, command_out
from pyros.instruments.commands import (
    REMOTE_COMMANDS,
    REMOTE_VALIDITY,
    ExposeArgs,
    command_timeout,
)
from pyros.instruments.models import DeviceKind, DeviceState, Mode, OperatingMode
from pyros.instruments.previews import preview_path

TAGS = ["instruments"]
TELESCOPE = "telescope"
CAMERAS = "cameras"
TELESCOPE_CONTROL = "telescope.control"
DEVICES_AGENT = "devices"

#: Which right shows which kinds of device.
KINDS_BY_RIGHT: dict[str, frozenset[str]] = {
    TELESCOPE: frozenset({DeviceKind.MOUNT, DeviceKind.DOME, DeviceKind.FOCUSER,
                          DeviceKind.FILTERWHEEL}),
    CAMERAS: frozenset({DeviceKind.CAMERA, DeviceKind.FILTERWHEEL}),
}

_OUTPUT = ConfigDict(json_schema_serialization_defaults_required=True)


# --- Output and input models -----------------------------------------------------------


class DeviceOut(BaseModel):
    """One device's last known status."""

    model_config = _OUTPUT

    name: str
    kind: str = Field(description="mount, dome, focuser, filterwheel or camera")
    channel: str = Field(description="the channel of a camera or filter wheel, else empty")
    connected: bool
    stale: bool = Field(description="the last poll failed: `data` is the last good status")
    data: dict[str, Any] = Field(description="the last good status, as the device's "
                                             "interface defines it")
    error: str = Field(description="why the last poll failed")
    polled_at: datetime | None
    good_at: datetime | None = Field(description="when `data` was read")
    age_seconds: float | None = Field(description="seconds since `good_at`, at `now`")
    preview_url: str | None = Field(description="a camera's preview of its last image "
                                                "(the query string changes with the image)")


class ModeOut(BaseModel):
    """The observatory's operating mode."""

    model_config = _OUTPUT

    mode: Mode
    changed_by: str
    changed_at: datetime | None
    reason: str
    remote_control: bool = Field(description="remote-control commands are accepted")


class InstrumentsOut(BaseModel):
    """The devices the user may see, judged at the server's time."""

    model_config = _OUTPUT

    now: datetime = Field(description="the server's clock (UTC), possibly simulated")
    mode: ModeOut
    devices: list[DeviceOut]


class RemoteCommandIn(BaseModel):
    """A remote-control command for the devices agent."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    command: str = Field(min_length=1, max_length=100,
                         description="one of: " + ", ".join(REMOTE_COMMANDS))
    args: dict[str, Any] = Field(default_factory=dict, description="the command's arguments")
    confirmed: bool = Field(default=False, description="the user confirmed the action: "
                                                       "required to be true")


# --- What the views and the pages share ------------------------------------------------


def visible_kinds(user: object) -> frozenset[str]:
    kinds: frozenset[str] = frozenset()
    for right, allowed in KINDS_BY_RIGHT.items():
        if user_access(user, right) >= Access.READ:
            kinds |= allowed
    return kinds


def mode_out(mode: OperatingMode) -> ModeOut:
    return ModeOut(mode=mode.mode, changed_by=mode.changed_by, changed_at=mode.changed_at,
                   reason=mode.reason, remote_control=mode.mode == Mode.REMOTE)


def preview_url(channel: str) -> str | None:
    """The preview's URL, versioned by the file's time so browsers fetch a new image."""
    try:
        stamp = preview_path(channel).stat().st_mtime_ns
    except (OSError, ValueError):
        return None
    return f"{reverse('instruments:camera-preview', args=[channel])}?v={stamp}"


def device_out(state: DeviceState, now: datetime) -> DeviceOut:
    age = None if state.good_at is None else max(0.0, (now - state.good_at).total_seconds())
    preview = preview_url(state.channel) if state.kind == DeviceKind.CAMERA else None
    return DeviceOut(
        name=state.name, kind=state.kind, channel=state.channel, connected=state.connected,
        stale=state.stale, data=state.data or {}, error=state.error,
        polled_at=state.polled_at, good_at=state.good_at, age_seconds=age,
        preview_url=preview)


def instruments_now(kinds: frozenset[str]) -> InstrumentsOut:
    """The devices of ``kinds`` and the operating mode, at the clock's current time."""
    now = clock.now()
    states = DeviceState.objects.filter(kind__in=kinds)
    return InstrumentsOut(now=now, mode=mode_out(OperatingMode.current()),
                          devices=[device_out(s, now) for s in states])


def not_remote_sentence(mode: str) -> str:
    return f"Remote control acts only in REMOTE mode (now: {mode})"


def _json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


# --- Permissions -----------------------------------------------------------------------


class CanSeeInstruments(BasePermission):
    message = "Your profile does not give access to the telescope or camera pages."

    def has_permission(self, request: ApiRequest, view: APIView) -> bool:
        return bool(visible_kinds(request.user))


class CanControlTelescope(BasePermission):
    message = "Your profile may not control the telescope."

    def has_permission(self, request: ApiRequest, view: APIView) -> bool:
        return user_access(request.user, TELESCOPE_CONTROL) >= Access.ACT


class NotRemote(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "not_remote"


# --- Views -----------------------------------------------------------------------------

_DENIED = {
    401: OpenApiResponse(DetailOut, description="not authenticated"),
    403: OpenApiResponse(DetailOut, description="the profile does not allow this"),
}


class InstrumentsView(APIView):
    permission_classes: ClassVar = [IsAuthenticated, CanSeeInstruments]
    parser_classes: ClassVar = [JSONParser]

    @extend_schema(
        operation_id="instruments_list", tags=TAGS,
        summary="Every device's last status, and the operating mode",
        description="What the devices agent last read from each device. A device that "
                    "stopped answering is `stale`, with its last good `data` kept and the "
                    "`error` of the last poll. Users see the devices of the pages their "
                    "profile reads: telescope (mount, dome, focusers, filter wheels) and "
                    "cameras (cameras, filter wheels).",
        responses={200: InstrumentsOut, **_DENIED},
    )
    def get(self, request: ApiRequest) -> Response:
        return Response(_json(instruments_now(visible_kinds(request.user))))


class RemoteCommandView(APIView):
    permission_classes: ClassVar = [IsAuthenticated, CanControlTelescope]
    parser_classes: ClassVar = [JSONParser]

    @extend_schema(
        operation_id="instruments_command_send", tags=TAGS,
        summary="Send a remote-control command to the devices agent",
        description="Commands: " + "; ".join(f"`{name}` ({what})" for name, (_, what)
                                              in REMOTE_COMMANDS.items())
                    + ". `slew` takes `ra` and `dec` (ICRS degrees); `expose` takes "
                      "`channel`, `seconds` and optionally `filter`, `frame_type`, "
                      "`object_name`. The body must say `confirmed: true`. Answers at once "
                      "with the command, PENDING: follow it at the URL of the Location "
                      "header. Refused with 409 unless the operating mode is REMOTE.",
        request=RemoteCommandIn,
        responses={202: CommandOut,
                   400: OpenApiResponse(DetailOut, description="unknown command, bad "
                                                               "arguments, or not confirmed"),
                   **_DENIED,
                   409: OpenApiResponse(DetailOut, description="not in REMOTE mode")},
    )
    def post(self, request: ApiRequest) -> Response:
        name, args = _remote_command(request.data)
        mode = OperatingMode.current().mode
        if mode != Mode.REMOTE:
            raise NotRemote(not_remote_sentence(mode))
        readout = 0.0
        if name == "expose":
            readout = next(c.readout_time for c in settings.UNIT.channels
                           if c.name == args["channel"])
        handle = bus.send_command(DEVICES_AGENT, name, sender=f"web:{request.user.username}",
                                  validity=REMOTE_VALIDITY,
                                  timeout=command_timeout(name, args, readout), **args)
        return Response(_json(command_out(handle.command)), status=status.HTTP_202_ACCEPTED,
                        headers={"Location": reverse("api-agent-command", args=[handle.id])})


def _problem(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}"
                     for e in exc.errors())


def _remote_command(data: Any) -> tuple[str, dict[str, Any]]:
    """The body, checked: a known command, confirmed, with arguments that fit it and the
    unit (an exposure's channel and filter). Returns the command and its arguments."""
    if not isinstance(data, dict):
        raise ParseError("the body must be a JSON object")
    try:
        body = RemoteCommandIn.model_validate(data)
    except ValidationError as exc:
        raise ParseError(_problem(exc)) from exc
    if body.command not in REMOTE_COMMANDS:
        raise ParseError(f"'{body.command}' is not a remote-control command (commands: "
                         f"{', '.join(REMOTE_COMMANDS)})")
    model, what = REMOTE_COMMANDS[body.command]
    try:
        args = model.model_validate(body.args)
    except ValidationError as exc:
        raise ParseError(f"bad arguments for {body.command}: {_problem(exc)}") from exc
    if not body.confirmed:
        raise ParseError(f"confirm the action first ({what}): send \"confirmed\": true")
    if isinstance(args, ExposeArgs):
        _check_channel(args)
    return body.command, args.model_dump(mode="json", exclude_none=True)


def _check_channel(args: ExposeArgs) -> None:
    channels = {c.name: c for c in settings.UNIT.channels}
    channel = channels.get(args.channel)
    if channel is None:
        raise ParseError(f"no channel '{args.channel}' (channels: {', '.join(channels)})")
    if args.filter and args.filter not in channel.filters:
        raise ParseError(f"'{args.filter}' is not a filter of {channel.name} (filters: "
                         f"{', '.join(channel.filters)})")
