"""The Schedule pages: tonight's plan (/schedule/), the history of plans, one plan of
it, and the planning of a simulation file.

Open to everyone, visitors included, as the rights matrix says; only planning a
simulation needs a login: it is a job (:mod:`pyros.jobs`), one at a time per user, whose
page shows its progress until the plan is drawn.

A plan's page is drawn on the server (:mod:`pyros.scheduling.chart`): the altitude
curves need the night's sky, which only the server computes. To stay current the page
fetches its plan part again every :data:`PERIOD` seconds (``scheduling/scheduling.js``)
rather than the API's JSON, so that the timeline is drawn in one place.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from pyros import clock
from pyros.accounts.models import user_access
from pyros.accounts.rights import Access
from pyros.config.loader import active_config
from pyros.jobs.api import POLL_SECONDS
from pyros.jobs.models import JobState
from pyros.jobs.store import JobRefused, progress, queued_ahead, visible_job
from pyros.scheduling.api import SCHEDULE, tonight, tonights_schedule, with_counts
from pyros.scheduling.chart import PlanView, draw, empty_plan, plan_of_schedule, plan_of_simulation
from pyros.scheduling.forms import SimulationForm
from pyros.scheduling.jobs import problem_of, result_of, submit_simulation
from pyros.scheduling.models import Schedule
from pyros.scheduling.simulation import SimulationError
from pyros.scheduling.unit import site_of

PERIOD = 30  # seconds between two refreshes of a plan's page
HISTORY_PAGE = 50


def _require(request: HttpRequest) -> None:
    if user_access(request.user, SCHEDULE) < Access.READ:
        raise PermissionDenied("your profile has no access to the schedule pages")


def _plan_context(plan: PlanView) -> dict[str, Any]:
    now = clock.now()
    return {"plan": plan, "chart": draw(plan, now), "now": now}


def _tonight_context() -> dict[str, Any]:
    site = site_of(active_config())
    schedule = tonights_schedule()
    plan = plan_of_schedule(schedule, site) if schedule else empty_plan(site, tonight())
    return _plan_context(plan)


def _stored_context(pk: int) -> dict[str, Any]:
    schedule = get_object_or_404(Schedule, pk=pk)
    return _plan_context(plan_of_schedule(schedule, site_of(active_config())))


def schedule(request: HttpRequest) -> HttpResponse:
    _require(request)
    return render(request, "scheduling/schedule.html", {
        **_tonight_context(), "title": "Tonight's plan", "period": PERIOD, "is_tonight": True,
        "refresh_url": reverse("scheduling:schedule-part")})


def schedule_part(request: HttpRequest) -> HttpResponse:
    """Tonight's plan without the page around it, for the page's refreshes."""
    _require(request)
    return render(request, "scheduling/_plan.html", _tonight_context())


def schedule_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    context = _stored_context(pk)
    return render(request, "scheduling/schedule.html", {
        **context, "title": f"Plan #{pk}", "period": PERIOD,
        "refresh_url": reverse("scheduling:schedule-detail-part", args=[pk])})


def schedule_detail_part(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request)
    return render(request, "scheduling/_plan.html", _stored_context(pk))


def history(request: HttpRequest) -> HttpResponse:
    _require(request)
    schedules = with_counts(Schedule.objects.order_by("-created_at", "-id"))
    page = Paginator(schedules, HISTORY_PAGE).get_page(request.GET.get("page"))
    for item in page.object_list:
        quality = item.quality
        item.quality_percent = None if quality is None else round(100 * quality, 1)
    return render(request, "scheduling/history.html", {"page": page, "tonight": tonight()})


def simulate(request: HttpRequest) -> HttpResponse:
    """The form; a valid POST queues the planning and goes to the job's page."""
    _require(request)
    allowed = request.user.is_authenticated
    posted = request.method == "POST"
    form = SimulationForm(request.POST if posted else None, request.FILES if posted else None)
    context: dict[str, Any] = {"form": form, "allowed": allowed, "example_night": tonight()}
    if posted and not allowed:
        return render(request, "scheduling/simulate.html", context, status=403)
    if posted and form.is_valid():
        try:
            job = submit_simulation(request.user, form.cleaned_data["data"],
                                    engine=form.cleaned_data["engine"],
                                    time_limit=form.cleaned_data["time_limit"])
        except SimulationError as exc:
            form.add_error(None, str(exc))
        except JobRefused as exc:
            form.add_error(None, str(exc))
            response = render(request, "scheduling/simulate.html", context, status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
        else:
            return redirect("scheduling:simulation", pk=job.pk)
    return render(request, "scheduling/simulate.html", context)


def simulation(request: HttpRequest, pk: int) -> HttpResponse:
    """A simulation's job: its progress while queued or running (the page polls the
    job's API and reloads itself when it ends), then its plan, or why it failed."""
    _require(request)
    job = visible_job(request.user, pk)
    if job is None:
        raise Http404(f"no simulation #{pk} of yours (they are kept a day)")
    context: dict[str, Any] = {"job": job, "progress_percent": round(100 * progress(job)),
                               "queued_ahead": queued_ahead(job), "poll": POLL_SECONDS,
                               "finished": job.state in (JobState.DONE, JobState.FAILED)}
    if job.state == JobState.DONE:
        try:
            problem = problem_of(job.params["file"])
        except SimulationError as exc:  # the unit's configuration changed since
            context["failure"] = str(exc)
        else:
            plan = plan_of_simulation(problem, result_of(job.result))
            context.update(_plan_context(plan),
                           result_text=json.dumps(job.result, indent=2))
    return render(request, "scheduling/simulation.html", context)
