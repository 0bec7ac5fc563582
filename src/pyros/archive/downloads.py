"""The archive's files over HTTP: a frame's FITS file (with the caller's credentials or
a signed link), its PNG thumbnail and preview, and a zip of many frames.

Files are streamed in 1 MiB blocks (``FileResponse``, ``StreamingHttpResponse``): a
worker holds a block, never a file, so a 2 GB frame or a night's zip costs the server
no more memory than a thumbnail. A download holds a web thread while the client reads,
so files and zips take a slot (:mod:`pyros.web.streams`): a few per worker, two per
user, 429 beyond. The rights are the catalogue's, through the same
:meth:`~pyros.archive.api.ArchiveView.frames` as the rest of the API.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import ClassVar

from django.db.models import QuerySet
from django.http import FileResponse, HttpResponseNotModified, StreamingHttpResponse
from django.http.response import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound, ParseError, PermissionDenied, Throttled
from rest_framework.request import Request as ApiRequest

from pyros import clock
from pyros.accounts.models import User
from pyros.agents.api import DetailOut
from pyros.archive import layout, query, signed
from pyros.archive.access import visible_frames
from pyros.archive.api import BAD, ID, NO_LOGIN, NOT_YOURS, TAGS, ArchiveView, unit, visible
from pyros.archive.checksums import BLOCK
from pyros.archive.models import ArchiveFrame
from pyros.archive.on_demand import RETRY_AFTER, PreviewsBusy, previews_now
from pyros.archive.search import SearchError
from pyros.archive.zipstream import Member, stream_zip, zip_length
from pyros.web.streams import SLOTS, ReleasingChunks, ReleasingFile, client_key

#: Files per zip: beyond it, ask for less (a night, a product) or use `pyros images get`.
MAX_ZIP_FILES = 2000
FITS = "application/fits"
BINARY = {(200, FITS): OpenApiTypes.BINARY}
TOO_MANY = OpenApiResponse(DetailOut, description="too many downloads at once (two per "
                                                  "user): retry after Retry-After seconds")


def file_of(frame: ArchiveFrame) -> Path:
    """The frame's file, which must still be there."""
    try:
        path = layout.absolute(unit(), frame.path)
    except layout.LayoutError:
        path = None
    if path is None or not path.is_file():
        raise NotFound(f"the file of frame {frame.pk} is missing from the archive")
    return path


def _digests(response: HttpResponseBase, sha256: str) -> None:
    """The catalogue's SHA-256 as the ETag and as a digest (RFC 3230 and RFC 9530)."""
    encoded = base64.b64encode(bytes.fromhex(sha256)).decode()
    response["ETag"] = f'"{sha256}"'
    response["Digest"] = f"sha-256={encoded}"
    response["Repr-Digest"] = f"sha-256=:{encoded}:"


class FrameFileView(ArchiveView):
    accepts_signature = True

    @extend_schema(
        operation_id="archive_frames_file", tags=TAGS, summary="A frame's FITS file",
        description="The file as an attachment, streamed, with its length, its SHA-256 "
                    "as the ETag and `Digest`/`Repr-Digest` headers. Without credentials, "
                    "give the `signature` of a link from `/url/`: it is refused once "
                    "expired, altered, for another frame, or when its user may no longer "
                    "see the frame.",
        parameters=[ID, OpenApiParameter("signature", str,
                                         description="from /api/archive/frames/{id}/url/")],
        responses={**BINARY, 304: OpenApiResponse(description="If-None-Match: unchanged"),
                   401: NO_LOGIN, 403: OpenApiResponse(description="a refused link"),
                   404: NOT_YOURS, 429: TOO_MANY})
    def get(self, request: ApiRequest, pk: int) -> HttpResponseBase:
        signature = request.query_params.get("signature")
        if signature is not None:
            user = self._signer(signature, pk)
            frame = visible(visible_frames(user, unit()), pk)
        else:
            user, frame = request.user, self.frame(request, pk)
        path = file_of(frame)
        if f'"{frame.sha256}"' in request.headers.get("If-None-Match", ""):
            response: HttpResponseBase = HttpResponseNotModified()
        else:
            release = SLOTS.take(client_key(user, request.META.get("REMOTE_ADDR")))
            try:
                handle = ReleasingFile(path, release)  # closed by the response
            except OSError:  # gone since file_of looked
                raise NotFound(f"the file of frame {frame.pk} is missing from the archive"
                               ) from None
            response = FileResponse(handle, as_attachment=True, filename=frame.basename,
                                    content_type=FITS)
            response.block_size = BLOCK
        _digests(response, frame.sha256)
        response["Cache-Control"] = "private, no-transform"
        return response

    @staticmethod
    def _signer(signature: str, pk: int) -> User:
        try:
            user_id = signed.check(signature, pk, unit().archive.signed_url_seconds)
        except signed.LinkRefused as exc:
            raise PermissionDenied(str(exc)) from None
        user = User.objects.filter(pk=user_id, is_active=True).first()
        if user is None:
            raise PermissionDenied("the user of this link is no longer active")
        return user


class _PreviewView(ArchiveView):
    which: ClassVar[str] = "preview"

    def get(self, request: ApiRequest, pk: int) -> HttpResponseBase:
        frame = self.frame(request, pk)
        try:
            made = previews_now(unit(), frame)
        except PreviewsBusy as exc:
            raise Throttled(RETRY_AFTER, detail=f"{exc}.") from None
        if not made:
            raise NotFound(f"frame {pk} has no {self.which}")
        path = layout.previews_root(unit()) / getattr(frame, self.which)
        try:
            handle = open(path, "rb")  # noqa: SIM115  # closed by the response
        except OSError:
            raise NotFound(f"frame {pk} has no {self.which}") from None
        response = FileResponse(handle, content_type="image/png")
        response["Cache-Control"] = "private, max-age=3600"
        return response


PNG = {(200, "image/png"): OpenApiTypes.BINARY, 401: NO_LOGIN,
       404: OpenApiResponse(description="not yours, or no image to show (a catalogue)"),
       429: OpenApiResponse(DetailOut, description="previews being made for others: retry "
                                                   "after Retry-After seconds")}


class ThumbnailView(_PreviewView):
    which = "thumbnail"

    @extend_schema(operation_id="archive_frames_thumbnail", tags=TAGS,
                   summary="A frame's thumbnail (PNG, 256 px)", parameters=[ID], responses=PNG,
                   description="Made again from the FITS file when it was pruned.")
    def get(self, request: ApiRequest, pk: int) -> HttpResponseBase:
        return super().get(request, pk)


class PreviewView(_PreviewView):
    which = "preview"

    @extend_schema(operation_id="archive_frames_preview", tags=TAGS,
                   summary="A frame's preview (PNG, 1024 px)", parameters=[ID], responses=PNG,
                   description="Asinh stretch from under the sky to a high percentile; "
                               "made again from the FITS file when it was pruned.")
    def get(self, request: ApiRequest, pk: int) -> HttpResponseBase:
        return super().get(request, pk)


def _ids(request: ApiRequest) -> list[int]:
    ids: list[int] = []
    raw_values = request.query_params.getlist("id")
    if len(raw_values) > MAX_ZIP_FILES:
        raise ParseError(f"at most {MAX_ZIP_FILES} files in a zip")
    for raw in raw_values:
        try:
            value = query.whole({"id": raw}, "id", 1)
        except SearchError as exc:
            raise ParseError(str(exc)) from None
        if value is not None and value not in ids:
            ids.append(value)
    return ids


def zip_selection(request: ApiRequest, frames: QuerySet[ArchiveFrame]
                  ) -> tuple[list[ArchiveFrame], str]:
    """The frames a zip asks for, and the zip's name: ``id=`` each, or ``request=`` with
    the list's filters."""
    ids = _ids(request)
    has_request = request.query_params.get("request", "") != ""
    if bool(ids) == has_request:
        raise ParseError("give either frame ids (id=1&id=2…) or request=N")
    if ids:
        found = {f.pk: f for f in frames.filter(pk__in=ids)}
        missing = [str(i) for i in ids if i not in found]
        if missing:
            raise NotFound(f"no frame {', '.join(missing)} that you may see")
        return [found[i] for i in ids], f"pyros-{len(ids)}-frames.zip"
    try:
        wanted = query.filters(request.query_params)
        selected = wanted.apply(frames)
    except SearchError as exc:
        raise ParseError(str(exc)) from None
    chosen = list(selected.order_by("date_obs", "id")[:MAX_ZIP_FILES + 1])
    if len(chosen) > MAX_ZIP_FILES:
        raise ParseError(f"more than {MAX_ZIP_FILES} files: narrow it (product, night…) "
                         "or use `pyros images get`")
    if not chosen:
        raise NotFound(f"no frame of request {wanted.request} that you may see")
    return chosen, f"pyros-request-{wanted.request}.zip"


class ZipView(ArchiveView):
    @extend_schema(
        operation_id="archive_zip", tags=TAGS, summary="Many frames in one zip",
        description="The frames named by `id` (repeat it), or every frame of a `request` "
                    "you may see (narrowed by the list's filters, e.g. `product=RAW`), in "
                    "a zip streamed as it is made, with a `SHA256SUMS` file "
                    f"(`sha256sum -c SHA256SUMS`). At most {MAX_ZIP_FILES} files; one "
                    "frame you may not see and the whole zip is a 404.",
        parameters=[OpenApiParameter("id", int, many=True, explode=True,
                                     description="a frame's id, repeated"),
                    OpenApiParameter("request", int, description="every frame of it"),
                    OpenApiParameter("product", str,
                                     enum=["RAW", "PROCESSED", "CATALOGUE", "MASTER"])],
        responses={(200, "application/zip"): OpenApiTypes.BINARY, 400: BAD, 401: NO_LOGIN,
                   404: NOT_YOURS, 429: TOO_MANY})
    def get(self, request: ApiRequest) -> HttpResponseBase:
        chosen, name = zip_selection(request, self.frames(request))
        members = []
        for frame in chosen:
            path = file_of(frame)
            members.append(Member(path=path, name=frame.basename, sha256=frame.sha256,
                                  modified=frame.date_obs, size=path.stat().st_size,
                                  crc32=frame.crc32))
        release = SLOTS.take(client_key(request.user, request.META.get("REMOTE_ADDR")))
        response = StreamingHttpResponse(
            ReleasingChunks(stream_zip(members, clock.now()), release),
            content_type="application/zip")
        length = zip_length(members)
        if length is not None:
            response["Content-Length"] = str(length)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "private, no-transform"
        return response
