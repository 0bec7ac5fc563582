"""The System page: the agents with their live status, their logs, and (for those who
may) a form to send them generic commands.

It warns when the archive's disk has less free space than ``[archive] min_free_gb``
(read when the page is drawn): the majordome then refuses the nights whose plan does not
fit. The page is rendered once with the agents as they are, so that it reads without
JavaScript; then ``agents/system.js`` keeps it current from the API (``/api/agents/``)
every second, without reloading. Rights follow the matrix: READ on "system" to see
the page, ACT on "system.command" for the command form (the API checks it again).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pyros.accounts.models import user_access
from pyros.accounts.rights import Access
from pyros.agents.api import LEVELS, SYSTEM, SYSTEM_COMMAND, AgentOut, agents_now
from pyros.agents.states import GENERIC_COMMANDS


def format_duration(seconds: float | None) -> str:
    """A short human duration ("3 h 12 min"); system.js writes the same."""
    if seconds is None:
        return "\N{EN DASH}"
    total = max(0, int(seconds))
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


@dataclass(frozen=True)
class AgentRow:
    agent: AgentOut
    uptime: str
    beat_age: str


@dataclass(frozen=True)
class ArchiveDisk:
    """The archive's disk as the page says it: free, and the configured floor."""

    root: str
    free_gb: float | None  # None: the disk could not be asked
    min_free_gb: float

    @property
    def low(self) -> bool:
        return self.free_gb is not None and self.free_gb < self.min_free_gb


def archive_disk() -> ArchiveDisk:
    from pyros.archive import layout, space

    unit = settings.UNIT
    try:
        free: float | None = space.archive_space(unit) / space.GB
    except OSError:
        free = None
    return ArchiveDisk(str(layout.archive_root(unit)), free, unit.archive.min_free_gb)


@login_required
def system(request: HttpRequest) -> HttpResponse:
    if user_access(request.user, SYSTEM) < Access.READ:
        raise PermissionDenied("your profile has no access to the system page")
    listing = agents_now()
    rows = [AgentRow(agent, format_duration(agent.uptime_seconds),
                     format_duration((listing.now - agent.last_beat).total_seconds())
                     if agent.last_beat else "never")
            for agent in listing.agents]
    return render(request, "agents/system.html", {
        "now": listing.now,
        "rows": rows,
        "agent_names": sorted({agent.name for agent in listing.agents}),
        "can_command": user_access(request.user, SYSTEM_COMMAND) >= Access.ACT,
        "commands": sorted(GENERIC_COMMANDS),
        "levels": list(LEVELS.items()),
        "disk": archive_disk(),
    })
