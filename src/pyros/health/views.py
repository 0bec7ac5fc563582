"""The Calibration & Health page (the nightly figures over 30 and 365 days, the recent
warnings, the morning reports, one's subscription), a night's report as a page, and its
self-contained file. Staff only: the matrix's "system" row (IE/IS and above), like the
System page. The plots are SVG drawn on the server; ``health/health.js`` only switches
between the two spans."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from pyros import clock
from pyros.accounts.models import user_access
from pyros.accounts.rights import Access
from pyros.analysis.plots import series_svg
from pyros.dates import parse_day
from pyros.health import mails
from pyros.health.metrics import METRICS
from pyros.health.models import NightReport
from pyros.health.relations import relations
from pyros.health.report import gather
from pyros.health.trends import recent_warnings, series
from pyros.scheduling.problem import night_of

SYSTEM = "system"
SPANS = (30, 365)


def _require_staff(request: HttpRequest) -> None:
    if user_access(request.user, SYSTEM) < Access.READ:
        raise PermissionDenied("your profile has no access to the calibration and health page")


def today() -> date:
    return night_of(clock.now(), settings.UNIT.site.longitude)


@dataclass(frozen=True)
class MetricPlots:
    name: str
    title: str
    means: str
    plots: list[str]


def _at_noon(night: date) -> datetime:
    return datetime.combine(night, time(12), tzinfo=UTC)


def metric_plots(last: date, days: int) -> list[MetricPlots]:
    """Per metric, one plot per channel and key, over ``days`` nights to ``last``."""
    thresholds = settings.UNIT.health.thresholds
    found = []
    for metric in METRICS.values():
        limit = thresholds.get(metric.name)
        marks = tuple(v for v in (limit.min, limit.max) if v is not None) if limit else ()
        plots = [series_svg([(_at_noon(night), value) for night, value in s.points],
                            f"{metric.title} · {s.label}", metric.unit,
                            inverted=metric.inverted, css=f"trend-{metric.name}",
                            time_format="%Y-%m-%d", marks=marks)
                 for s in series(metric.name, last, days)]
        if plots:
            found.append(MetricPlots(metric.name, metric.title, metric.means, plots))
    return found


@login_required
def health(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    last = today()
    return render(request, "health/health.html", {
        "spans": [(days, metric_plots(last, days), relations(last, days)) for days in SPANS],
        "health_warnings": recent_warnings(settings.UNIT, last),
        "reports": NightReport.objects.all()[:30],
        "subscribed": mails.is_subscribed(request.user),
        "thresholds": sorted(settings.UNIT.health.thresholds.items()),
    })


@login_required
@require_POST
def subscription(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    wanted = request.POST.get("morning_report")
    if wanted not in ("on", "off"):
        return HttpResponse("morning_report must be 'on' or 'off'", status=400,
                            content_type="text/plain")
    mails.subscribe(request.user, wanted == "on")
    return redirect("health")


def _night(raw: str) -> date:
    try:
        return parse_day(raw, "the night")
    except ValueError as exc:
        raise Http404(str(exc)) from None


@login_required
def report(request: HttpRequest, night: str) -> HttpResponse:
    _require_staff(request)
    return render(request, "health/report.html", {"r": gather(_night(night), settings.UNIT)})


@login_required
def report_file(request: HttpRequest, night: str) -> FileResponse:
    """The stored file, as a download: its styles are inside it, which the site's
    content security policy would not let a page of the site use."""
    _require_staff(request)
    day = _night(night)
    stored = NightReport.objects.filter(night=day).first()
    if stored is None or not Path(stored.path).is_file():
        raise Http404(f"no report file for the night of {day} (pyros report --night {day})")
    return FileResponse(open(stored.path, "rb"), as_attachment=True,
                        filename=Path(stored.path).name, content_type="text/html")
