"""The archive's links and sections for other apps' pages.

The download links point at the archive API (``/api/archive/…``), which checks the same
rights as these pages; they are written here once. The request page and an image's
analysis page show their frames through the inclusion tags below, so that neither
app imports the archive (which is built on them).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from django import template

from pyros.archive.access import visible_frames
from pyros.archive.views import has_thumbnail
from pyros.config.loader import active_config

register = template.Library()

API_FRAMES = "/api/archive/frames/"
API_ZIP = "/api/archive/zip/"
#: Frames listed on a request's page; the archive list, filtered, shows them all.
REQUEST_FRAMES_SHOWN = 50


@register.filter
def file_url(pk: int) -> str:
    """The FITS file of frame ``pk``."""
    return f"{API_FRAMES}{pk}/file/"


@register.filter
def api_preview_url(pk: int) -> str:
    return f"{API_FRAMES}{pk}/preview.png"


@register.filter
def api_thumbnail_url(pk: int) -> str:
    return f"{API_FRAMES}{pk}/thumbnail.png"


@register.filter
def zip_url(ids: Iterable[int]) -> str:
    """One zip of these frames (those the user may not see are left out by the API)."""
    return f"{API_ZIP}?{urlencode([('id', pk) for pk in ids])}"


@register.simple_tag
def zip_endpoint() -> str:
    """Where a form of ``id`` checkboxes is sent (GET) to zip the ticked frames."""
    return API_ZIP


@register.filter
def request_zip_url(request_id: int) -> str:
    """One zip of every frame of a request the user may see."""
    return f"{API_ZIP}?{urlencode({'request': request_id})}"


@register.inclusion_tag("archive/_request_frames.html", takes_context=True)
def request_frames(context: dict[str, Any], req: Any) -> dict[str, Any]:
    """The "Frames" section of a request's page."""
    frames = visible_frames(context.get("user"), active_config()).filter(request=req)
    total = frames.count()
    shown = list(frames[:REQUEST_FRAMES_SHOWN]) if total else []
    return {"req": req, "total": total,
            "rows": [(frame, has_thumbnail(frame)) for frame in shown],
            "more": total - len(shown)}


@register.inclusion_tag("archive/_image_frames.html", takes_context=True)
def image_archive_frames(context: dict[str, Any], image: Any) -> dict[str, Any]:
    """The archive records (raw, calibrated, catalogue) of an image, for its analysis
    page: the way from the pipeline's view of a frame to its files."""
    frames = visible_frames(context.get("user"), active_config()) \
        .filter(image=image).order_by("product", "id")
    return {"frames": list(frames)}
