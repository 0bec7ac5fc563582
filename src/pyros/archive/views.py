"""The archive's pages, under /images/: the list of frames with the API's filters, a
frame's page (preview with its sources, quality, headers, relatives), and the PNG
previews those pages show.

Every page and every picture asks ``access.visible_frames`` which frames exist: a
frame one may not see is a 404, never a 403, so that its existence is not revealed.
A visitor who is not logged in is sent to log in, unless the site shows public frames
to anonymous visitors (``[archive] public_to_anonymous``). The pictures are served here
rather than through the API so that the pages stand on their own; the downloads (FITS
files, zips) are the API's, which applies the same rule.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from pyros.accounts.models import user_access
from pyros.accounts.rights import Access
from pyros.analysis.models import FrameAnalysis
from pyros.archive import layout
from pyros.archive.access import ALL_IMAGES, visible_frames
from pyros.archive.forms import ArchiveFilterForm
from pyros.archive.models import ArchiveFrame, Previews, Product
from pyros.archive.on_demand import RETRY_AFTER, PreviewsBusy, previews_now
from pyros.archive.overlay import Overlay, OverlayError, geometry_of, read_overlay
from pyros.archive.relations import related
from pyros.archive.search import SearchError
from pyros.config.loader import active_config
from pyros.config.schema import UnitConfig
from pyros.observations.access import can_use_requests, member_programs, visible_requests
from pyros.programs.models import ScientificProgram

PAGE_SIZE = 50
View = Callable[..., HttpResponse]


def archive_page(view: View) -> View:
    """Anonymous visitors log in first, unless the site shows them public frames."""
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated \
                and not active_config().archive.public_to_anonymous:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def has_thumbnail(frame: ArchiveFrame) -> bool:
    """Whether a thumbnail exists or can be made (a catalogue has no pixels)."""
    return frame.product != Product.CATALOGUE and frame.previews != Previews.NONE


def _program_names(user: Any) -> list[str]:
    """The programs offered in the filter's list: one's own, or all for the staff who
    see every frame (a hint only: any name may be typed)."""
    if not user.is_authenticated:
        return []
    if user_access(user, ALL_IMAGES) >= Access.READ:
        programs = ScientificProgram.objects.all()
    else:
        programs = member_programs(user, active_only=False)
    return list(programs.order_by("name").values_list("name", flat=True))


def _sentence(message: str) -> str:
    """search's messages are clauses ("ra must be within …"): shown as sentences."""
    return f"{message[:1].upper()}{message[1:]}."


@archive_page
def archive_list(request: HttpRequest) -> HttpResponse:
    unit = active_config()
    form = ArchiveFilterForm(request.GET)
    frames: QuerySet[ArchiveFrame] = ArchiveFrame.objects.none()
    status = 200
    if form.is_valid() and form.filters is not None:
        try:
            frames = form.filters.apply(visible_frames(request.user, unit))
        except SearchError as exc:
            form.add_error(None, _sentence(str(exc)))
            status = 400
    else:
        status = 400
    page = Paginator(frames.select_related("program", "request"), PAGE_SIZE) \
        .get_page(request.GET.get("page"))
    rows = [(frame, has_thumbnail(frame)) for frame in page.object_list]
    return render(request, "archive/list.html", {
        "form": form, "page": page, "rows": rows, "page_ids": [f.pk for f, _ in rows],
        "filters": sorted({f for c in unit.channels for f in c.filters}),
        "programs": _program_names(request.user)}, status=status)


def _relatives(frame: ArchiveFrame, visible: QuerySet[ArchiveFrame]) -> list[ArchiveFrame]:
    return list(visible.filter(pk__in=related(frame).values("pk"))
                .order_by("product", "date_obs", "id"))


def _pixels_of(frame: ArchiveFrame, relatives: list[ArchiveFrame]) -> ArchiveFrame | None:
    """The frame whose preview this page shows: itself, or for a catalogue (a table,
    no pixels) its calibrated frame, else its raw frame."""
    if frame.product != Product.CATALOGUE:
        return frame
    for product in (Product.PROCESSED, Product.RAW):
        for relative in relatives:
            if relative.product == product and relative.image_id == frame.image_id:
                return relative
    return None


def _overlay(unit: UnitConfig, frame: ArchiveFrame, pixels: ArchiveFrame,
             relatives: list[ArchiveFrame]) -> tuple[Overlay | None, str]:
    """The sources over ``pixels``' preview, from the catalogue file first (kilobytes),
    else from the calibrated frame's own table; and a note when they cannot be read."""
    geometry = geometry_of(pixels.headers)
    if geometry is None or frame.product == Product.MASTER or frame.frame_type != "LIGHT":
        return None, ""
    candidates = [f for f in (frame, *relatives) if f.image_id == pixels.image_id]
    candidates.sort(key=lambda f: {Product.CATALOGUE: 0, Product.PROCESSED: 1}.get(
        Product(f.product), 2))
    note = ""
    for candidate in candidates:
        if candidate.product == Product.RAW:
            continue
        try:
            overlay = read_overlay(layout.absolute(unit, candidate.path), geometry,
                                   pixels.headers)
        except (layout.LayoutError, OverlayError) as exc:
            note = f"The sources could not be read ({exc})."
            continue
        if overlay is not None:
            return overlay, ""
    return None, note


def _header_rows(headers: dict[str, Any]) -> list[tuple[str, str]]:
    return [(key, "\n".join(value) if isinstance(value, list) else str(value))
            for key, value in headers.items()]


def _may_open_analysis(user: Any, image_id: int | None) -> bool:
    """Whether the image's analysis page would show it to ``user``: a link only where
    it leads somewhere."""
    from pyros.analysis.views import visible_images

    if image_id is None or not user.is_authenticated:
        return False
    try:
        return visible_images(user).filter(pk=image_id).exists()
    except PermissionDenied:
        return False


def _may_open_request(user: Any, request_id: int | None) -> bool:
    if request_id is None or not user.is_authenticated or not can_use_requests(user):
        return False
    return visible_requests(user).filter(pk=request_id).exists()


@archive_page
def frame_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = active_config()
    visible = visible_frames(request.user, unit)
    frame = get_object_or_404(
        visible.select_related("program", "request", "master"), pk=pk)
    relatives = _relatives(frame, visible)
    pixels = _pixels_of(frame, relatives)
    try:
        shown = pixels if pixels is not None and previews_now(unit, pixels) else None
    except PreviewsBusy:  # the page without its picture rather than a wait
        shown = None
    overlay, overlay_note = _overlay(unit, frame, shown, relatives) if shown else (None, "")
    analysis = FrameAnalysis.objects.filter(image_id=frame.image_id).first() \
        if frame.image_id else None
    user = request.user
    return render(request, "archive/frame.html", {
        "frame": frame, "relatives": relatives, "shown": shown, "overlay": overlay,
        "overlay_note": overlay_note, "analysis": analysis,
        "master_quality": sorted(frame.master.quality.items()) if frame.master else [],
        "headers": _header_rows(frame.headers),
        "analysis_link": _may_open_analysis(user, frame.image_id),
        "request_link": _may_open_request(user, frame.request_id)})


def frame_png(request: HttpRequest, pk: int, kind: str) -> HttpResponse | FileResponse:
    """A frame's thumbnail or preview, made now if it was not yet (or was pruned)."""
    unit = active_config()
    frame = get_object_or_404(visible_frames(request.user, unit), pk=pk)
    try:
        made = previews_now(unit, frame)
    except PreviewsBusy as exc:
        response = HttpResponse(f"{exc}.", status=429, content_type="text/plain")
        response["Retry-After"] = str(RETRY_AFTER)
        return response
    if not made:
        raise Http404("this frame has no preview")
    root = layout.previews_root(unit)
    path = (root / (frame.thumbnail if kind == "thumbnail" else frame.preview)).resolve()
    if root not in path.parents:
        raise Http404("no such preview")
    try:
        handle = path.open("rb")
    except OSError:
        raise Http404("the preview is gone") from None
    response = FileResponse(handle, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response
