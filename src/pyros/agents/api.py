"""The REST API of the System page: agents with their live status, their logs, and
generic commands sent from the web.

Reading needs READ on "system" in the rights matrix, sending a command ACT on
"system.command". Only generic commands can be sent here: they are the ones every
agent understands (status, mode, abort...); specific commands belong to the pages of
the devices they drive.

"Alive" is decided here, with the process-wide clock, so that the page and the CLI
agree and a simulated night shows simulated liveness.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, ClassVar

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from rest_framework import status
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request as ApiRequest
from rest_framework.response import Response
from rest_framework.views import APIView

from pyros import clock
from pyros.accounts.models import user_access
from pyros.accounts.rights import Access
from pyros.agents import bus
from pyros.agents.agent import Agent
from pyros.agents.models import AgentLog, AgentSurvey, Command
from pyros.agents.schema import BadArguments, command_specs
from pyros.agents.states import FINAL_STATES, GENERIC_COMMANDS, AgentMode, CommandState

TAGS = ["agents"]
SYSTEM = "system"
SYSTEM_COMMAND = "system.command"

DEFAULT_LOG_LIMIT = 200
MAX_LOG_LIMIT = 1000
MAX_WAIT = 10.0
#: Log levels by name, as Python's logging names them.
LEVELS: dict[str, int] = {"DEBUG": logging.DEBUG, "INFO": logging.INFO,
                          "WARNING": logging.WARNING, "ERROR": logging.ERROR,
                          "CRITICAL": logging.CRITICAL}
#: Keyword names send_command() takes for itself: an argument so named would clash.
RESERVED_ARGS = frozenset({"recipient", "name", "sender", "validity", "timeout"})

_OUTPUT = ConfigDict(json_schema_serialization_defaults_required=True)


# --- Output and input models -----------------------------------------------------------


class AgentOut(BaseModel):
    """An agent's last heartbeat, and what it means now."""

    model_config = _OUTPUT

    name: str
    computer: str
    pid: int | None
    mode: AgentMode
    status: str
    iteration: int
    started_at: datetime | None
    last_beat: datetime | None
    validity: float = Field(description="seconds a beat stays valid")
    restarts: int
    last_restart: datetime | None
    current_command: int | None = Field(description="id of the command it is running")
    alive: bool = Field(description="its last beat is younger than its validity")
    uptime_seconds: float | None = Field(description="seconds since it started, if alive")


class AgentList(BaseModel):
    """Every agent known to the database, with the server's time they were judged at."""

    model_config = _OUTPUT

    now: datetime = Field(description="the server's clock (UTC), possibly simulated")
    agents: list[AgentOut]


class LogOut(BaseModel):
    """One line an agent logged."""

    model_config = _OUTPUT

    id: int
    agent: str
    computer: str
    level: int = Field(description="Python logging level")
    level_name: str
    message: str
    created_at: datetime


class LogPage(BaseModel):
    """Log lines, oldest first. Poll again with ``after=last_id`` to get the next ones."""

    model_config = _OUTPUT

    last_id: int | None = Field(description="id of the last line returned, else `after`")
    more: bool = Field(description="more lines follow: ask again at once")
    logs: list[LogOut]


class CommandIn(BaseModel):
    """A generic command for an agent, and how long to wait for its end."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    command: str = Field(min_length=1, max_length=100,
                         description="a generic command: " + ", ".join(sorted(GENERIC_COMMANDS)))
    args: dict[str, Any] = Field(default_factory=dict, description="the command's arguments")
    wait: float = Field(default=3.0, ge=0, le=MAX_WAIT,
                        description="seconds to wait for the command to end before answering")


class CommandOut(BaseModel):
    """A command and where it is in its lifecycle (PENDING or RUNNING: not ended yet)."""

    model_config = _OUTPUT

    id: int
    name: str
    sender: str
    recipient: str
    args: dict[str, Any]
    state: CommandState
    done: bool = Field(description="the state is final")
    result: Any = Field(description="what the command returned, once EXECUTED")
    error: str
    created_at: datetime
    ended_at: datetime | None


class DetailOut(BaseModel):
    """Why the call failed."""

    detail: str


# --- What the views and the page share -------------------------------------------------


def agent_out(survey: AgentSurvey, now: datetime) -> AgentOut:
    alive = survey.is_alive(now)
    uptime = None
    if alive and survey.started_at is not None:
        uptime = max(0.0, (now - survey.started_at).total_seconds())
    return AgentOut(
        name=survey.name, computer=survey.computer, pid=survey.pid, mode=survey.mode,
        status=survey.status, iteration=survey.iteration, started_at=survey.started_at,
        last_beat=survey.last_beat, validity=survey.validity, restarts=survey.restarts,
        last_restart=survey.last_restart, current_command=survey.current_command,
        alive=alive, uptime_seconds=uptime)


def agents_now() -> AgentList:
    """Every agent, judged alive or dead at the clock's current time."""
    now = clock.now()
    return AgentList(now=now, agents=[agent_out(s, now) for s in AgentSurvey.objects.all()])


def parse_level(value: str) -> int:
    """A minimum level from a name (any case) or a number."""
    text = value.strip()
    if text.upper() in LEVELS:
        return LEVELS[text.upper()]
    if text.isascii() and text.isdigit() and len(text) < 10:  # "²" is a digit to isdigit
        return int(text)
    raise ParseError(f"unknown level '{value}' (a number, or one of {', '.join(LEVELS)})")


def _int_param(params: Any, name: str, default: int | None, minimum: int) -> int | None:
    value = params.get(name, "")
    if value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ParseError(f"{name} must be an integer, not '{value}'") from None
    if number < minimum:
        raise ParseError(f"{name} must be at least {minimum}")
    return number


def logs_page(*, agent: str = "", min_level: int | None = None, after: int | None = None,
              limit: int = DEFAULT_LOG_LIMIT) -> LogPage:
    """Without ``after``, the latest ``limit`` lines (the page's first look); with it, the
    ``limit`` lines that follow it (incremental polling, oldest first so that a client
    catching up never skips any)."""
    logs = AgentLog.objects.all()
    if agent:
        logs = logs.filter(agent=agent)
    if min_level is not None:
        logs = logs.filter(level__gte=min_level)
    more = False
    if after is None:
        rows = list(logs.order_by("-id")[:limit])[::-1]
    else:
        rows = list(logs.filter(pk__gt=after).order_by("id")[:limit + 1])
        more = len(rows) > limit
        rows = rows[:limit]
    return LogPage(
        last_id=rows[-1].pk if rows else after, more=more,
        logs=[LogOut(id=r.pk, agent=r.agent, computer=r.computer, level=r.level,
                     level_name=logging.getLevelName(r.level), message=r.message,
                     created_at=r.created_at) for r in rows])


def command_out(command: Command) -> CommandOut:
    return CommandOut(
        id=command.pk, name=command.name, sender=command.sender, recipient=command.recipient,
        args=command.args or {}, state=command.state,
        done=command.state in FINAL_STATES, result=command.result, error=command.error,
        created_at=command.created_at, ended_at=command.ended_at)


def _json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


# --- Permissions -----------------------------------------------------------------------


class CanSeeSystem(BasePermission):
    message = "Your profile does not give access to the system page."

    def has_permission(self, request: ApiRequest, view: APIView) -> bool:
        return user_access(request.user, SYSTEM) >= Access.READ


class CanSendCommands(BasePermission):
    message = "Your profile may not send commands to agents."

    def has_permission(self, request: ApiRequest, view: APIView) -> bool:
        return user_access(request.user, SYSTEM_COMMAND) >= Access.ACT


# --- Views -----------------------------------------------------------------------------

_DENIED = {
    401: OpenApiResponse(DetailOut, description="not authenticated"),
    403: OpenApiResponse(DetailOut, description="the profile does not allow this"),
}


class SystemApiView(APIView):
    permission_classes: ClassVar = [IsAuthenticated, CanSeeSystem]
    parser_classes: ClassVar = [JSONParser]


class AgentListView(SystemApiView):
    @extend_schema(
        operation_id="agents_list", tags=TAGS, summary="List the agents and their status",
        description="Every agent's last heartbeat; `alive` and `uptime_seconds` are judged "
                    "at `now`, the server's clock.",
        responses={200: AgentList, **_DENIED},
    )
    def get(self, request: ApiRequest) -> Response:
        return Response(_json(agents_now()))


class AgentLogsView(SystemApiView):
    @extend_schema(
        operation_id="agents_logs", tags=TAGS, summary="Read the agents' logs",
        description="Oldest first. Without `after`, the latest lines; with it, the lines "
                    "that follow that id: poll with `after=last_id` to follow the logs.",
        parameters=[
            OpenApiParameter("agent", str, description="only this agent's lines"),
            OpenApiParameter("level", str, description="minimum level: DEBUG, INFO, WARNING, "
                                                       "ERROR, CRITICAL, or a number"),
            OpenApiParameter("after", int, description="only lines with a greater id"),
            OpenApiParameter("limit", int, default=DEFAULT_LOG_LIMIT,
                             description=f"how many lines at most (up to {MAX_LOG_LIMIT})"),
        ],
        responses={200: LogPage, 400: OpenApiResponse(DetailOut, description="bad filter"),
                   **_DENIED},
    )
    def get(self, request: ApiRequest) -> Response:
        params = request.query_params
        level = params.get("level", "")
        limit = _int_param(params, "limit", DEFAULT_LOG_LIMIT, 1)
        page = logs_page(agent=params.get("agent", ""),
                         min_level=parse_level(level) if level else None,
                         after=_int_param(params, "after", None, 0),
                         limit=min(limit or DEFAULT_LOG_LIMIT, MAX_LOG_LIMIT))
        return Response(_json(page))


class CommandSendView(SystemApiView):
    permission_classes: ClassVar = [*SystemApiView.permission_classes, CanSendCommands]

    @extend_schema(
        operation_id="agents_command_send", tags=TAGS, summary="Send a generic command",
        description="Queues the command, waits up to `wait` seconds for it to end, and "
                    "answers its state then: still PENDING or RUNNING if the wait ran out "
                    "(follow it with the command's URL, in the Location header).",
        parameters=[OpenApiParameter("name", OpenApiTypes.STR, OpenApiParameter.PATH,
                                     description="the agent's name")],
        request=CommandIn,
        responses={201: CommandOut,
                   400: OpenApiResponse(DetailOut, description="not a generic command, or "
                                                               "bad arguments"),
                   **_DENIED,
                   404: OpenApiResponse(DetailOut, description="no agent of that name")},
    )
    def post(self, request: ApiRequest, name: str) -> Response:
        if not AgentSurvey.objects.filter(name=name).exists():
            raise NotFound(f"no agent named '{name}'")
        body = _command_in(request.data)
        handle = bus.send_command(name, body.command, sender=f"web:{request.user.username}",
                                  **body.args)
        handle.wait(body.wait)
        return Response(_json(command_out(handle.command)), status=status.HTTP_201_CREATED,
                        headers={"Location": reverse("api-agent-command",
                                                     args=[handle.id])})


def _command_in(data: Any) -> CommandIn:
    """The body, checked: a generic command, and arguments that send_command can pass on."""
    if not isinstance(data, dict):
        raise ParseError("the body must be a JSON object")
    try:
        body = CommandIn.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise ParseError(f"{where}: {first['msg']}") from exc
    if body.command not in GENERIC_COMMANDS:
        raise ParseError(f"'{body.command}' is not a generic command; only these can be sent "
                         f"from here: {', '.join(sorted(GENERIC_COMMANDS))}")
    clashing = RESERVED_ARGS.intersection(body.args)
    if clashing:
        raise ParseError(f"argument names not allowed: {', '.join(sorted(clashing))}")
    try:
        bus.check_args(body.args)
        command_specs(Agent)[body.command].validate(body.args)
    except (bus.CommandError, BadArguments) as exc:
        raise ParseError(str(exc)) from exc
    return body


class CommandDetailView(SystemApiView):
    @extend_schema(
        operation_id="agents_command_retrieve", tags=TAGS, summary="Read a command",
        description="Its state, result and error: poll it until `done`.",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH,
                                     description="the command's id")],
        responses={200: CommandOut, **_DENIED,
                   404: OpenApiResponse(DetailOut, description="no such command")},
    )
    def get(self, request: ApiRequest, pk: int) -> Response:
        command = Command.objects.filter(pk=pk).first()
        if command is None:
            raise NotFound(f"no command #{pk}")
        return Response(_json(command_out(command)))
