"""The Alerts pages: the events received with their sky map (/alerts/), one event with
its packets, decisions and latencies, a packet as received, the refused packets, and
the Strategy page.

Who sees what is the rights matrix's: every profile reads the alerts, anonymous
visitors included (a burst is public news); the strategy — which bursts the telescope
chases — is for the profiles it gives "alerts.strategy" to: they read it, and those
allowed to act save new versions.

The sky map is drawn on the server (:mod:`pyros.alerts.skymap`): tonight's sky needs
the scheduler's ephemeris, which only the server has. The list and an event's page
fetch their live part again every :data:`PERIOD` seconds (``alerts/alerts.js``), as
the Schedule page does, so that a new packet shows without a reload.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from pyros import clock
from pyros.accounts.models import user_access
from pyros.accounts.rights import Access
from pyros.alerts import store
from pyros.alerts.api import (
    ALERTS,
    STRATEGY,
    PacketOut,
    events_with_packets,
    latest_packet,
    packet_out,
    packets_of,
    requests_of,
    strategy_problems,
)
from pyros.alerts.forms import StrategyForm
from pyros.alerts.models import (
    AlertEvent,
    AlertPacket,
    Decision,
    EventStatus,
    RefusedPacket,
    Step,
    Strategy,
)
from pyros.alerts.skymap import Circle, night_region, sky_map
from pyros.alerts.strategy import StrategyError, check_strategy
from pyros.config.loader import active_config

PERIOD = 15  # seconds between two refreshes of the live pages
PAGE_SIZE = 50
REFUSED_PAGE = 50

#: How an event is coloured on the map and in the list, and what the colour means.
KINDS: dict[str, str] = {
    "observed": "observed: a request was made",
    "rejected": "not observed",
    "retracted": "retracted",
    "test": "test: never observed",
}

View = Callable[..., HttpResponse]


# --- Rights ------------------------------------------------------------------------------


def _require_alerts(request: HttpRequest) -> None:
    if user_access(request.user, ALERTS) < Access.READ:
        raise PermissionDenied("your profile has no access to the alerts pages")


def strategy_page(view: View) -> View:
    """Log in first; then 403 for the profiles the rights matrix hides the strategy
    from."""
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if user_access(request.user, STRATEGY) < Access.READ:
            raise PermissionDenied("your profile has no access to the alert strategy")
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def _common(request: HttpRequest) -> dict[str, Any]:
    return {"strategy_readable": user_access(request.user, STRATEGY) >= Access.READ,
            "kinds": KINDS}


# --- What the pages show of an event -------------------------------------------------------


def event_kind(event: AlertEvent, packets: list[AlertPacket]) -> str:
    """Test and retracted first: they are never observed, whatever was decided before."""
    if event.status == EventStatus.TEST:
        return "test"
    if event.status == EventStatus.RETRACTED:
        return "retracted"
    if any(p.decision == Decision.ACCEPTED for p in packets):
        return "observed"
    return "rejected"


def error_text(radius: float | None) -> str:
    """An error radius in the unit astronomers quote it in: ″, ′ or °."""
    if radius is None:
        return ""
    if radius < 1.0 / 60.0:
        return f"{radius * 3600.0:.3g}″"
    if radius < 1.0:
        return f"{radius * 60.0:.3g}′"
    return f"{radius:.3g}°"


def position_text(ra: float | None, dec: float | None, radius: float | None) -> str:
    if ra is None or dec is None:
        return "no position"
    error = f" ± {error_text(radius)}" if radius is not None else ""
    return f"{ra:.4f}° {dec:+.4f}°{error}"


def _where(ra: float, dec: float, radius: float | None) -> str:
    return "RA, Dec " + position_text(ra, dec, radius)


@dataclass
class EventRow:
    """An event of the list: the event, its packets, what the latest decided."""

    event: AlertEvent
    packets: list[AlertPacket]
    latest: AlertPacket | None
    requests: list[Any]
    kind: str

    @classmethod
    def of(cls, event: AlertEvent) -> EventRow:
        packets = packets_of(event)
        return cls(event, packets, latest_packet(event), requests_of(event),
                   event_kind(event, packets))

    @property
    def has_position(self) -> bool:
        return self.event.ra is not None and self.event.dec is not None

    @property
    def radec(self) -> str:
        return position_text(self.event.ra, self.event.dec, None)

    @property
    def error(self) -> str:
        return error_text(self.event.error_radius)

    @property
    def position(self) -> str:
        text = position_text(self.event.ra, self.event.dec, self.event.error_radius)
        return text + (" (sky map only)" if not self.has_position and self.event.skymap_url
                       else "")

    @property
    def circle(self) -> Circle | None:
        event = self.event
        if not self.has_position:
            return None
        title = (f"{event.key}: {_where(event.ra, event.dec, event.error_radius)} · "
                 f"{event.get_status_display()} · {KINDS[self.kind]}")
        return Circle(key=str(event.pk), ra=event.ra, dec=event.dec, radius=event.error_radius,
                      css=self.kind, title=title,
                      url=reverse("alerts:alert-detail", args=[event.pk]))


def _safe_url(url: str) -> str:
    """A sky map's address comes from a packet off the network: linked only when it is
    plain http(s), never a javascript: or data: URL."""
    return url if url.lower().startswith(("https://", "http://")) else ""


# --- The list ------------------------------------------------------------------------------


def _list_context(request: HttpRequest) -> dict[str, Any]:
    events = events_with_packets(AlertEvent.objects.order_by("-created_at", "-id"))
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [EventRow.of(event) for event in page.object_list]
    now = clock.now()
    region = night_region(active_config(), now)
    circles = []
    for row in rows:
        circle = row.circle
        if circle is not None:
            up = "in" if region.covers(circle.ra, circle.dec) else "not in"
            circles.append(replace(circle, title=f"{circle.title} · {up} tonight's region"))
    return {
        **_common(request), "page": page, "rows": rows, "now": now,
        "map": sky_map(circles, region),
        "unplaced": sum(1 for row in rows if not row.has_position),
        "refused_count": RefusedPacket.objects.count(),
    }


def alert_list(request: HttpRequest) -> HttpResponse:
    _require_alerts(request)
    part = reverse("alerts:alert-list-part")
    if request.GET.get("page"):
        part += "?" + request.GET.urlencode()
    return render(request, "alerts/list.html", {
        **_list_context(request), "period": PERIOD, "refresh_url": part})


def alert_list_part(request: HttpRequest) -> HttpResponse:
    """The map and the list without the page around them, for the page's refreshes."""
    _require_alerts(request)
    return render(request, "alerts/_list.html", _list_context(request))


# --- One event -----------------------------------------------------------------------------


@dataclass
class PacketView:
    packet: AlertPacket
    out: PacketOut

    @property
    def position(self) -> str:
        return position_text(self.packet.ra, self.packet.dec, self.packet.error_radius)

    @property
    def log_rows(self) -> list[tuple[Any, float | None]]:
        """Each step with the milliseconds since the packet was received."""
        received = next((e.at for e in self.out.log if e.step == Step.RECEIVED), None)
        return [(e, None if received is None else
                 round((e.at - received).total_seconds() * 1000.0, 1)) for e in self.out.log]

    @property
    def checks(self) -> list[dict[str, Any]]:
        """The strategy's checks, when the decision log kept them."""
        for entry in self.out.log:
            checks = entry.data.get("checks")
            if isinstance(checks, list):
                return [c for c in checks if isinstance(c, dict)]
        return []

    @property
    def rule(self) -> str:
        return next((str(e.data["rule"]) for e in self.out.log
                     if e.data.get("rule")), "")

    @property
    def schedules(self) -> list[int]:
        """The plans the log names, for links to them."""
        return [int(e.data["schedule"]) for e in self.out.log
                if isinstance(e.data.get("schedule"), int)]


def _detail_context(request: HttpRequest, pk: int) -> dict[str, Any]:
    event = get_object_or_404(events_with_packets(AlertEvent.objects.all(), logs=True), pk=pk)
    row = EventRow.of(event)
    packets = [PacketView(p, packet_out(p, event)) for p in row.packets]
    circles = []
    for view in packets:
        packet = view.packet
        if packet.ra is None or packet.dec is None:
            continue
        circles.append(Circle(
            key=str(packet.pk), ra=packet.ra, dec=packet.dec, radius=packet.error_radius,
            css=("used" if view.out.position_used else "earlier"),
            title=f"{packet.notice_type}: {_where(packet.ra, packet.dec, packet.error_radius)}",
            highlight=view.out.position_used))
    return {**_common(request), "event": event, "row": row, "packets": packets,
            "candidates": list(event.candidates.select_related("analysis__image")),
            "show_cutouts": True,
            "skymap_url": _safe_url(event.skymap_url), "now": clock.now(),
            "map": sky_map(circles, night_region(active_config(), clock.now()))}


def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_alerts(request)
    return render(request, "alerts/detail.html", {
        **_detail_context(request, pk), "period": PERIOD,
        "refresh_url": reverse("alerts:alert-detail-part", args=[pk])})


def alert_detail_part(request: HttpRequest, pk: int) -> HttpResponse:
    _require_alerts(request)
    return render(request, "alerts/_detail.html", _detail_context(request, pk))


def packet_raw(request: HttpRequest, pk: int) -> HttpResponse:
    """The packet as received, as text: it came from the network, so it is only ever
    shown escaped, never served as XML a browser would interpret."""
    _require_alerts(request)
    packet = get_object_or_404(AlertPacket.objects.select_related("event"), pk=pk)
    return render(request, "alerts/packet.html", {**_common(request), "packet": packet})


def refused(request: HttpRequest) -> HttpResponse:
    _require_alerts(request)
    page = Paginator(RefusedPacket.objects.order_by("-received_at", "-id"),
                     REFUSED_PAGE).get_page(request.GET.get("page"))
    return render(request, "alerts/refused.html", {**_common(request), "page": page})


# --- The strategy ------------------------------------------------------------------------


@dataclass
class Checked:
    """What the page shows between "Check" and "Save"."""

    name: str
    rules: int
    templates: int
    problems: list[str]
    diff: str
    next_version: int


def _versions() -> Any:
    return Strategy.objects.select_related("created_by").annotate(
        packet_count=Count("packets")).order_by("-version")


def _diff(old: Strategy, text: str) -> str:
    lines = difflib.unified_diff(old.text.splitlines(), text.splitlines(),
                                 f"version {old.version}", "this text", lineterm="", n=2)
    return "\n".join(lines)


@strategy_page
def strategy(request: HttpRequest) -> HttpResponse:
    active = store.active_strategy()
    may_act = user_access(request.user, STRATEGY) >= Access.ACT
    context: dict[str, Any] = {
        **_common(request), "active": active, "problems": strategy_problems(active),
        "versions": _versions(), "may_act": may_act, "form": None, "checked": None}
    if request.method == "POST":
        if not may_act:
            raise PermissionDenied("your profile may not change the alert strategy")
        return _post_strategy(request, active, context)
    if may_act:
        start = active
        source = request.GET.get("from", "")
        if source.isascii() and source.isdigit() and len(source) < 10:
            start = get_object_or_404(Strategy, version=int(source))
        context["form"] = StrategyForm(initial={"text": start.text})
        context["start"] = start
    return render(request, "alerts/strategy.html", context)


def _post_strategy(request: HttpRequest, active: Strategy,
                   context: dict[str, Any]) -> HttpResponse:
    form = StrategyForm(request.POST)
    context["form"] = form
    if not form.is_valid():
        return render(request, "alerts/strategy.html", context, status=400)
    text, comment = form.cleaned_data["text"], form.cleaned_data["comment"]
    action = request.POST.get("action", "check")
    if form.confirmed(action):
        try:
            saved = store.save_strategy(text, user=request.user, comment=comment)
        except StrategyError as exc:  # the form checked it: only a change of the format
            form.add_error("text", str(exc))
            return render(request, "alerts/strategy.html", context, status=400)
        messages.success(request, f"Version {saved.version} saved: it decides from now on.")
        return redirect("alerts:strategy")
    if action == "save":
        messages.warning(request, "The text changed since it was checked: check it again, "
                                  "then save.")
    parsed = form.strategy
    latest = Strategy.objects.order_by("-version").first()
    context["checked"] = Checked(
        name=parsed.name, rules=len(parsed.rules), templates=len(parsed.templates),
        problems=check_strategy(parsed, active_config()), diff=_diff(active, text),
        next_version=(latest.version + 1) if latest else 1)
    context["form"] = StrategyForm(initial={"text": text, "comment": comment,
                                            "checked": form.cleaned_data["digest"]})
    return render(request, "alerts/strategy.html", context)


@strategy_page
def strategy_version(request: HttpRequest, version: int) -> HttpResponse:
    shown = get_object_or_404(_versions(), version=version)
    return render(request, "alerts/strategy_version.html", {
        **_common(request), "shown": shown, "problems": strategy_problems(shown),
        "may_act": user_access(request.user, STRATEGY) >= Access.ACT})

