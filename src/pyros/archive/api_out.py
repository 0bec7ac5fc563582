"""What the archive API answers: a frame as the catalogue knows it, with the links to
everything about it, and a page of frames. Pydantic models, so that the OpenAPI schema
and the answers cannot drift apart (as in the other APIs)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from pydantic import BaseModel
from rest_framework.request import Request as ApiRequest
from rest_framework.utils.urls import remove_query_param, replace_query_param

from pyros.archive.models import ArchiveFrame, Product


class FrameUrls(BaseModel):
    """Absolute links; no preview for a source catalogue (it has no pixels)."""

    detail: str
    file: str
    thumbnail: str | None
    preview: str | None


class FrameOut(BaseModel):
    id: int
    basename: str
    product: str  # RAW, PROCESSED, CATALOGUE, MASTER
    reduction_level: int  # 0 as taken, 91 reduced
    unit: str
    channel: str
    frame_type: str  # LIGHT, BIAS, DARK, FLAT
    night: date  # the date of the night's evening
    date_obs: datetime
    exposure: float  # seconds
    filter: str
    binning: int
    airmass: float | None
    target_name: str
    ra: float | None  # ICRS degrees of the centre
    dec: float | None
    program: str | None  # the scientific program's name
    request: int | None
    sequence: int | None
    size: int  # bytes
    sha256: str
    public_date: datetime
    urls: FrameUrls


class FrameDetailOut(FrameOut):
    public: bool  # its public date has passed
    ingested_at: datetime
    verified_at: datetime | None  # when `pyros archive verify` last found it intact
    related: list[int]  # the relatives you may see: raw, calibrated, catalogue, masters
    headers_url: str
    related_url: str
    signed_url: str  # where to ask for a link that downloads without credentials


class FramePage(BaseModel):
    count: int
    next: str | None
    previous: str | None
    results: list[FrameOut]


class SignedLinkOut(BaseModel):
    url: str  # downloads the file, no credentials needed, until `expires`
    expires: datetime


def _link(request: ApiRequest, name: str, pk: int) -> str:
    return request.build_absolute_uri(reverse(name, args=[pk]))


def frame_out(frame: ArchiveFrame, request: ApiRequest) -> dict[str, Any]:
    pixels = frame.product != Product.CATALOGUE
    urls = FrameUrls(
        detail=_link(request, "api-archive-frame", frame.pk),
        file=_link(request, "api-archive-file", frame.pk),
        thumbnail=_link(request, "api-archive-thumbnail", frame.pk) if pixels else None,
        preview=_link(request, "api-archive-preview", frame.pk) if pixels else None)
    return {
        "id": frame.pk, "basename": frame.basename, "product": frame.product,
        "reduction_level": frame.reduction_level, "unit": frame.unit,
        "channel": frame.channel, "frame_type": frame.frame_type, "night": frame.night,
        "date_obs": frame.date_obs, "exposure": frame.exposure, "filter": frame.filter,
        "binning": frame.binning, "airmass": frame.airmass,
        "target_name": frame.target_name, "ra": frame.ra, "dec": frame.dec,
        "program": frame.program.name if frame.program_id else None,
        "request": frame.request_id, "sequence": frame.sequence_id, "size": frame.size,
        "sha256": frame.sha256, "public_date": frame.public_date, "urls": urls}


def for_listing(frames: QuerySet[ArchiveFrame]) -> QuerySet[ArchiveFrame]:
    """What a page of frames reads: the program's name in the same query, never the
    headers (kilobytes a frame)."""
    return frames.select_related("program").defer("headers")


def page(frames: QuerySet[ArchiveFrame], request: ApiRequest, limit: int,
         offset: int) -> dict[str, Any]:
    """One page with ``count`` and the links to the next and previous ones."""
    count = frames.count()
    rows = [FrameOut(**frame_out(f, request))
            for f in for_listing(frames)[offset:offset + limit]]
    here = request.build_absolute_uri()
    following = replace_query_param(here, "offset", offset + limit) \
        if offset + limit < count else None
    if offset <= 0:
        preceding = None
    elif offset - limit <= 0:
        preceding = remove_query_param(here, "offset")
    else:
        preceding = replace_query_param(here, "offset", offset - limit)
    return FramePage(count=count, next=following, previous=preceding,
                     results=rows).model_dump(mode="json")
