"""The archive's REST API, under /api/archive/: find frames, read what the catalogue
knows of each, and ask for a link that downloads one without credentials. The files
themselves (a frame, its previews, a zip) are in :mod:`pyros.archive.downloads`.

Every answer comes from :func:`pyros.archive.access.visible_frames` for the caller: a
frame one may not see is a 404, exactly like one that does not exist, so that the API
never tells who observed what. Anonymous callers get the public frames when the site
says so (``[archive] public_to_anonymous``), else a 401.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotAuthenticated, NotFound, ParseError
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request as ApiRequest
from rest_framework.response import Response
from rest_framework.views import APIView

from pyros import clock
from pyros.agents.api import DetailOut
from pyros.archive import query, signed
from pyros.archive.access import visible_frames
from pyros.archive.api_out import (
    FrameDetailOut,
    FramePage,
    SignedLinkOut,
    frame_out,
    page,
)
from pyros.archive.models import ArchiveFrame
from pyros.archive.relations import related
from pyros.archive.search import SearchError
from pyros.config.loader import active_config
from pyros.config.schema import UnitConfig
from pyros.web.params import int_param

TAGS = ["archive"]
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)
NOT_YOURS = OpenApiResponse(DetailOut, description="no such frame, or not one you may see")
BAD = OpenApiResponse(DetailOut, description="a bad parameter, named in `detail`")
NO_LOGIN = OpenApiResponse(DetailOut, description="not logged in, and the site does not "
                                                  "show public frames to anonymous visitors")


def unit() -> UnitConfig:
    return active_config()


class ArchiveAccess(BasePermission):
    """Logged-in users (what each sees is the rights rule's business); anonymous ones
    only when the site shows them public frames, or with a signed link where a view
    takes one (``accepts_signature``); the view checks the signature itself."""

    message = "Log in (token or session) to use the archive."

    def has_permission(self, request: ApiRequest, view: APIView) -> bool:
        if request.user is not None and request.user.is_authenticated:
            return True
        if getattr(view, "accepts_signature", False) and "signature" in request.query_params:
            return True
        return unit().archive.public_to_anonymous


class ArchiveView(APIView):
    # AllowAny first: the schema then says that a visitor may call it (when allowed).
    permission_classes: ClassVar = [AllowAny, ArchiveAccess]

    def frames(self, request: ApiRequest) -> QuerySet[ArchiveFrame]:
        """THE frames this caller may see: everything below starts from here."""
        return visible_frames(request.user, unit())

    def frame(self, request: ApiRequest, pk: int) -> ArchiveFrame:
        return visible(self.frames(request), pk)


def visible(frames: QuerySet[ArchiveFrame], pk: int) -> ArchiveFrame:
    found = frames.select_related("program").filter(pk=pk).first()
    if found is None:
        raise NotFound(f"no frame {pk} that you may see")
    return found


def paging(request: ApiRequest) -> tuple[int, int]:
    params = request.query_params
    return (int_param(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
            int_param(params, "offset", 0, 0, 2**31 - 1))


def searched(request: ApiRequest, frames: QuerySet[ArchiveFrame]) -> QuerySet[ArchiveFrame]:
    """``frames`` narrowed by the query's filters; a bad one is a 400 that names it."""
    try:
        return query.filters(request.query_params).apply(frames)
    except SearchError as exc:
        raise ParseError(str(exc)) from None


FILTERS = [
    OpenApiParameter("night_from", OpenApiTypes.DATE, description="first night (its evening)"),
    OpenApiParameter("night_to", OpenApiTypes.DATE, description="last night (its evening)"),
    OpenApiParameter("target", str, description="part of the target's name, any case"),
    OpenApiParameter("ra", float, description="cone centre, ICRS degrees (with dec, radius)"),
    OpenApiParameter("dec", float, description="cone centre, ICRS degrees"),
    OpenApiParameter("radius", float, description="cone radius, degrees (0 < r ≤ 10)"),
    OpenApiParameter("filter", str, description="the filter's name, exactly"),
    OpenApiParameter("frame_type", str, description="LIGHT, BIAS, DARK or FLAT"),
    OpenApiParameter("product", str, enum=["RAW", "PROCESSED", "CATALOGUE", "MASTER"]),
    OpenApiParameter("reduction_level", int, description="0 as taken, 91 reduced"),
    OpenApiParameter("program", str, description="the scientific program's name"),
    OpenApiParameter("request", int, description="the observation request's id"),
    OpenApiParameter("channel", str, description="the instrument channel"),
]
PAGING = [OpenApiParameter("limit", int, default=DEFAULT_LIMIT,
                           description=f"at most this many (1 to {MAX_LIMIT})"),
          OpenApiParameter("offset", int, default=0, description="skip this many")]


class FrameListView(ArchiveView):
    @extend_schema(
        operation_id="archive_frames_list", tags=TAGS, summary="Find frames",
        description="The archive's frames you may see (raw and calibrated frames, source "
                    "catalogues, master calibrations), newest first, narrowed by any of "
                    "the filters. A cone search needs `ra`, `dec` and `radius` together.",
        parameters=[*FILTERS, *PAGING],
        responses={200: FramePage, 400: BAD, 401: NO_LOGIN})
    def get(self, request: ApiRequest) -> Response:
        limit, offset = paging(request)
        return Response(page(searched(request, self.frames(request)), request, limit, offset))


class FrameDetailView(ArchiveView):
    @extend_schema(
        operation_id="archive_frames_retrieve", tags=TAGS, summary="One frame",
        description="What the catalogue knows of a frame, whether it is public yet, the "
                    "ids of its relatives you may see, and links to the rest.",
        parameters=[ID], responses={200: FrameDetailOut, 401: NO_LOGIN, 404: NOT_YOURS})
    def get(self, request: ApiRequest, pk: int) -> Response:
        frames = self.frames(request)
        frame = visible(frames, pk)
        relatives = frames.filter(pk__in=related(frame).values("pk")).order_by("id")
        out = FrameDetailOut(
            **frame_out(frame, request), public=frame.public_date <= clock.now(),
            ingested_at=frame.ingested_at, verified_at=frame.verified_at,
            related=list(relatives.values_list("pk", flat=True)),
            headers_url=request.build_absolute_uri(reverse("api-archive-headers", args=[pk])),
            related_url=request.build_absolute_uri(reverse("api-archive-related", args=[pk])),
            signed_url=request.build_absolute_uri(reverse("api-archive-url", args=[pk])))
        return Response(out.model_dump(mode="json"))


class FrameHeadersView(ArchiveView):
    @extend_schema(
        operation_id="archive_frames_headers", tags=TAGS, summary="A frame's FITS headers",
        description="The primary header as a JSON object: each keyword its value "
                    "(numbers, text, booleans), COMMENT and HISTORY lists of lines.",
        parameters=[ID],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="keyword: value"),
                   401: NO_LOGIN, 404: NOT_YOURS})
    def get(self, request: ApiRequest, pk: int) -> Response:
        headers: dict[str, Any] = self.frame(request, pk).headers
        return Response(headers)


class FrameRelatedView(ArchiveView):
    @extend_schema(
        operation_id="archive_frames_related", tags=TAGS, summary="A frame's relatives",
        description="The frames related to this one that you may see, as the list gives "
                    "them: its raw frame, calibrated frame and source catalogue, the "
                    "masters its calibration used; for a master, the frames it was made "
                    "from and those it calibrated.",
        parameters=[ID, *PAGING], responses={200: FramePage, 400: BAD, 401: NO_LOGIN,
                                             404: NOT_YOURS})
    def get(self, request: ApiRequest, pk: int) -> Response:
        limit, offset = paging(request)
        frames = self.frames(request)
        relatives = frames.filter(pk__in=related(visible(frames, pk)).values("pk"))
        return Response(page(relatives, request, limit, offset))


class SignedLinkView(ArchiveView):
    @extend_schema(
        operation_id="archive_frames_signed_url", tags=TAGS,
        summary="A link that downloads a frame without credentials",
        description="A URL of the frame's file carrying a signature, valid for `[archive] "
                    "signed_url_seconds` (an hour by default): hand it to a program that "
                    "has no credentials. The download checks again that you, still "
                    "active, may see the frame: the link dies with your right to it.",
        parameters=[ID], responses={200: SignedLinkOut, 401: NO_LOGIN, 404: NOT_YOURS})
    def get(self, request: ApiRequest, pk: int) -> Response:
        if not request.user.is_authenticated:
            raise NotAuthenticated("log in to get a signed link: it is made on your behalf")
        frame = self.frame(request, pk)
        link = signed.sign(frame.pk, request.user.pk, unit().archive.signed_url_seconds)
        url = request.build_absolute_uri(reverse("api-archive-file", args=[frame.pk]))
        out = SignedLinkOut(url=f"{url}?{urlencode({'signature': link.signature})}",
                            expires=link.expires)
        return Response(out.model_dump(mode="json"))
