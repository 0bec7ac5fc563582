"""The Images pages: each night's frames with their quality and its plots, an image's
analysis (masters used, figures, flags, candidates), and candidate cutouts.

Who sees what: the ``images`` right shows the frames of the requests one may see;
``images.all`` shows every frame, calibrations included. Cutouts belong to an alert
and follow the ``alerts`` right, as the alert page that shows them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Avg, Count, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from pyros.accounts.models import user_access
from pyros.accounts.rights import Access
from pyros.analysis.models import Candidate
from pyros.analysis.plots import series_svg
from pyros.dates import parse_day
from pyros.images.models import Image
from pyros.observations.access import visible_requests

IMAGES, ALL_IMAGES, ALERTS = "images", "images.all", "alerts"
#: (column, title, unit, inverted) of the night's plots.
PLOTS = (("fwhm", "FWHM", "arcsec", False), ("zero_point", "Zero point", "mag", True),
         ("background", "Background", "ADU", False),
         ("sky_brightness", "Sky brightness", "mag/arcsec²", True))


def visible_images(user: Any) -> QuerySet[Image]:
    images = Image.objects.select_related("analysis")
    if user_access(user, ALL_IMAGES) >= Access.READ:
        return images
    if user_access(user, IMAGES) < Access.READ:
        raise PermissionDenied("your profile has no access to the images")
    return images.filter(frame_type="LIGHT",
                         sequence__request__in=visible_requests(user).values("pk"))


def nights(request: HttpRequest) -> HttpResponse:
    rows = visible_images(request.user).values("night").annotate(
        frames=Count("id"), lights=Count("id", filter=Q(frame_type="LIGHT")),
        analysed=Count("id", filter=Q(analysis__status="DONE")),
        fwhm=Avg("analysis__fwhm"), zero_point=Avg("analysis__zero_point"),
        limit=Avg("analysis__limiting_magnitude")).order_by("-night")
    return render(request, "analysis/nights.html", {"rows": rows})


def night(request: HttpRequest, night: str) -> HttpResponse:
    try:
        day = parse_day(night, "the night")
    except ValueError as exc:
        raise Http404(str(exc)) from None
    images = list(visible_images(request.user).filter(night=day).order_by("date_obs", "id"))
    if not images:
        raise Http404(f"no image of yours on the night of {day}")
    lights = [i for i in images if i.frame_type == "LIGHT" and hasattr(i, "analysis")]
    plots = [series_svg([(i.date_obs, getattr(i.analysis, column)) for i in lights], title,
                        unit, inverted=inverted, css=column)
             for column, title, unit, inverted in PLOTS]
    return render(request, "analysis/night.html", {
        "night": day, "images": images, "plots": plots,
        "waiting": sum(1 for i in images if hasattr(i, "analysis")
                       and i.analysis.status == "PENDING")})


def image_detail(request: HttpRequest, pk: int) -> HttpResponse:
    image = get_object_or_404(visible_images(request.user), pk=pk)
    analysis = getattr(image, "analysis", None)
    return render(request, "analysis/image.html", {
        "image": image, "analysis": analysis, "name": Path(image.path).name,
        "results": analysis.results if analysis else {},
        "masters": [m for m in (analysis.bias, analysis.dark, analysis.flat) if m]
        if analysis else [],
        "candidates": list(analysis.candidates.all()) if analysis else [],
        "show_cutouts": user_access(request.user, ALERTS) >= Access.READ})


def cutout(request: HttpRequest, pk: int, which: str) -> FileResponse:
    if user_access(request.user, ALERTS) < Access.READ:
        raise PermissionDenied("your profile has no access to the alerts")
    candidate = get_object_or_404(Candidate, pk=pk)
    path = {"new": candidate.new_cutout, "reference": candidate.reference_cutout}.get(which)
    if not path or not Path(path).is_file():
        raise Http404("no such cutout")
    return FileResponse(Path(path).open("rb"), content_type="image/png")
