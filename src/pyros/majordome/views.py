"""The majordome's pages: its part of the Observatory page (everyone), the Observatory
control page (IE/IS and above, as "observatory.control" says) and the night log.

Parts are drawn here only and fetched again every :data:`PERIOD` seconds by
``majordome/majordome.js`` (``PyROS.refreshPart``), so that the state card and the
buttons are drawn in one place whether the page is fresh or refreshed. The buttons shown
are those the profile may take and the state allows; taking one goes through
:func:`store.apply_action` all the same (from the API with JavaScript, from the form here
without), which checks the rights and the state again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from pyros import clock
from pyros.accounts.models import user_access, user_level
from pyros.accounts.rights import Access
from pyros.agents.views import format_duration
from pyros.majordome import store
from pyros.majordome.api import (
    CONTROL,
    OBSERVATORY,
    MajordomeOut,
    majordome_now,
    may_act,
    night_log,
    night_timeline,
    parse_action,
    parse_kind,
    parse_night,
    recent_log,
)
from pyros.majordome.controls import ACTIONS
from pyros.majordome.models import LogKind

PERIOD = 5  # seconds between two refreshes of a part


def _require(request: HttpRequest, right: str, page: str) -> None:
    if user_access(request.user, right) < Access.READ:
        raise PermissionDenied(f"your profile has no access to the {page} page")


def _state_context(request: HttpRequest) -> dict[str, Any]:
    majordome = majordome_now(may_act(request.user))
    return {"majordome": majordome, "since_for": _since_for(majordome),
            "decided_ago": _ago(majordome)}


def _since_for(majordome: MajordomeOut) -> str:
    if majordome.since is None:
        return ""
    return format_duration((majordome.now - majordome.since).total_seconds())


def _ago(majordome: MajordomeOut) -> str:
    if majordome.decided_at is None:
        return ""
    return format_duration((majordome.now - majordome.decided_at).total_seconds())


# --- The Observatory page's part ------------------------------------------------------


def observatory_context(request: HttpRequest) -> dict[str, Any]:
    """What ``majordome/_observatory_section.html`` needs inside the Observatory page."""
    return {**_state_context(request), "night_log": recent_log(),
            "nav_control": user_access(request.user, CONTROL) >= Access.READ,
            "majordome_refresh_url": reverse("majordome:observatory-part"),
            "majordome_period": PERIOD}


def observatory_part(request: HttpRequest) -> HttpResponse:
    """The majordome's part of the Observatory page, for the page's refreshes."""
    _require(request, OBSERVATORY, "observatory")
    return render(request, "majordome/_observatory.html", observatory_context(request))


# --- The control page -----------------------------------------------------------------


def _control_context(request: HttpRequest) -> dict[str, Any]:
    context = _state_context(request)
    actions = context["majordome"].actions
    context["available"] = [a for a in actions if a.available]
    context["unavailable"] = [a for a in actions if not a.available]
    return context


@login_required
def control(request: HttpRequest) -> HttpResponse:
    _require(request, CONTROL, "observatory control")
    if request.method == "POST":
        return _take_action(request)
    return render(request, "majordome/control.html", {
        **_control_context(request), "period": PERIOD,
        "refresh_url": reverse("majordome:control-part")})


@login_required
def control_part(request: HttpRequest) -> HttpResponse:
    _require(request, CONTROL, "observatory control")
    return render(request, "majordome/_control.html", _control_context(request))


def _take_action(request: HttpRequest) -> HttpResponse:
    """The buttons' path without JavaScript: ask the action's question on a page of its
    own, then take it. With JavaScript the page asks and posts to the API instead."""
    try:
        action = parse_action(request.POST.get("action", ""))
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect("majordome:control")
    spec = ACTIONS[action]
    if user_access(request.user, spec.right) < Access.ACT:
        raise PermissionDenied(f"{spec.label}: your profile may not do this")
    if request.POST.get("confirmed") != "yes":
        return render(request, "majordome/confirm.html", {"action": action, "spec": spec})
    try:
        message = store.apply_action(settings.UNIT, action, who=f"web:{request.user.username}",
                                     level=user_level(request.user))
    except store.ControlRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, message)
    return redirect("majordome:control")


# --- The night log --------------------------------------------------------------------


def log(request: HttpRequest) -> HttpResponse:
    """One night's log, newest first, filtered by kind."""
    _require(request, OBSERVATORY, "night log")
    now = clock.now()
    problem = ""
    try:
        night = parse_night(request.GET.get("night"), settings.UNIT, now)
        kind = parse_kind(request.GET.get("kind"))
    except ValueError as exc:
        problem = str(exc)
        night, kind = parse_night(None, settings.UNIT, now), None
    tonight_is = parse_night(None, settings.UNIT, now)
    return render(request, "majordome/log.html", {
        "log": night_log(night, kind), "kinds": LogKind.choices, "problem": problem,
        "tonight": tonight_is, "timeline": night_timeline(night, now, tonight_is),
        "previous": night - timedelta(days=1), "next": night + timedelta(days=1),
        "can_control": user_access(request.user, CONTROL) >= Access.READ,
    }, status=400 if problem else 200)
