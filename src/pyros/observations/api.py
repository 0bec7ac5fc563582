"""The REST API for observation requests.

The views are thin on purpose: they find the request the user may see, hand the body to
the same validation and storage functions as file import and the web pages
(``json_format.spec_from_data`` then ``store``), and turn the result into pydantic
models, which also give drf-spectacular an exact OpenAPI schema.

Who may do what follows the rights matrix: "requests" HIDDEN means no API at all;
READ or ACT on "requests.all" shows every request, otherwise only those of the user's
programs (and their own), so other requests answer 404 as if they did not exist.
Who may edit, move or cancel a request is ``access``'s rule about the acting user,
checked again by ``store`` inside the transaction that writes (RequestForbidden: 403).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from rest_framework import status
from rest_framework.exceptions import NotFound, ParseError, PermissionDenied
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request as ApiRequest
from rest_framework.response import Response
from rest_framework.views import APIView

from pyros.config.loader import active_config
from pyros.observations import json_format, store, xml_format
from pyros.observations.access import (
    RequestForbidden,
    can_use_requests,
    may_cancel,
    may_edit,
    visible_requests,
)
from pyros.observations.lifecycle import (
    InvalidTransition,
    ObsType,
    RequestStatus,
    SequenceStatus,
)
from pyros.observations.models import Request, Sequence
from pyros.observations.problems import RequestInvalid
from pyros.observations.spec import (
    AlbumFields,
    PlanSpec,
    RequestFields,
    RequestSpec,
    SequenceFields,
)
from pyros.web.pagination import BoundedLimitOffsetPagination

TAGS = ["requests"]


# --- Input and output models -----------------------------------------------------------

#: Output always has every field, defaults included: say so in the schema.
_OUTPUT = ConfigDict(json_schema_serialization_defaults_required=True)


class PlanOut(PlanSpec):
    """A plan as stored."""

    model_config = _OUTPUT


class AlbumOut(AlbumFields):
    """An album as stored (a draft built on the web may not have its plans yet)."""

    model_config = _OUTPUT

    plans: list[PlanOut]


class SequenceOut(SequenceFields):
    """A sequence as stored, with where it is in its lifecycle."""

    model_config = _OUTPUT

    id: int
    status: SequenceStatus
    status_reason: str
    albums: list[AlbumOut]


class RequestOut(RequestFields):
    """A request as stored: the RequestSpec fields plus identity, owner and status."""

    model_config = _OUTPUT

    id: int
    status: RequestStatus
    status_reason: str
    owner: str = Field(description="username of the user who created the request")
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    submitted: bool
    sequences: list[SequenceOut]


class RequestPage(BaseModel):
    """One page of requests (limit/offset pagination)."""

    count: int
    next: str | None
    previous: str | None
    results: list[RequestOut]


class CancelIn(BaseModel):
    """Why the request is cancelled; optional."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(default="", max_length=255)


class ProblemOut(BaseModel):
    """One reason a request is invalid: which element, which field, what is wrong."""

    model_config = _OUTPUT

    where: str
    field: str | None
    message: str
    line: int | None


class InvalidOut(BaseModel):
    """The request was not stored; ``problems`` lists every reason found."""

    model_config = _OUTPUT

    detail: str
    problems: list[ProblemOut] = Field(default_factory=list)


class DetailOut(BaseModel):
    """Why the call failed."""

    detail: str


def request_out(request: Request) -> RequestOut:
    """The stored request as output. Built without re-validation, so that a draft still
    being assembled (a sequence without albums, say) can be shown."""
    return RequestOut.model_construct(
        id=request.pk, name=request.name, scientific_program=request.program.name,
        target_type=request.target_type, status=RequestStatus(request.status),
        status_reason=request.status_reason, owner=request.owner.get_username(),
        created_at=request.created_at, updated_at=request.updated_at,
        submitted_at=request.submitted_at, submitted=request.status != RequestStatus.DRAFT,
        sequences=[_sequence_out(s) for s in request.sequences.all()],
    )


def _sequence_out(sequence: Sequence) -> SequenceOut:
    return SequenceOut.model_construct(
        id=sequence.pk, status=SequenceStatus(sequence.status),
        status_reason=sequence.status_reason, name=sequence.name,
        target=sequence.target_name, ra=sequence.ra, dec=sequence.dec, start=sequence.start,
        end=sequence.end, duration=sequence.duration, priority=sequence.priority,
        obs_type=ObsType(sequence.obs_type),
        preferred_time=sequence.preferred_time, max_airmass=sequence.max_airmass,
        min_moon_separation=sequence.min_moon_separation,
        albums=[
            AlbumOut.model_construct(
                name=album.name, detector=album.detector,
                plans=[PlanOut.model_construct(name=plan.name, filter=plan.filter,
                                               exposure=plan.exposure,
                                               nb_images=plan.nb_images)
                       for plan in album.plans.all()])
            for album in sequence.albums.all()
        ],
    )


def _json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


# --- Permissions -----------------------------------------------------------------------


class CanUseRequests(BasePermission):
    """Profiles for which the "requests" pages are hidden (Visitor, TAC, Operator) get
    nothing from this API."""

    message = "Your profile does not give access to observation requests."

    def has_permission(self, request: ApiRequest, view: APIView) -> bool:
        return can_use_requests(request.user)


# --- Views -----------------------------------------------------------------------------

_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH,
                       description="the request's id")
_ERRORS = {
    403: OpenApiResponse(DetailOut, description="not logged in, or not allowed"),
    404: OpenApiResponse(DetailOut, description="no such request, or not one the user may see"),
}
_INVALID = OpenApiResponse(InvalidOut, description="invalid request; nothing was stored")
_CONFLICT = OpenApiResponse(DetailOut, description="the request's status does not allow this")


class RequestsApiView(APIView):
    """What every request view shares: JSON in, the access rule, and the store's
    exceptions as HTTP answers."""

    permission_classes: ClassVar = [IsAuthenticated, CanUseRequests]
    parser_classes: ClassVar = [JSONParser]

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, RequestInvalid):
            body = InvalidOut(detail=str(exc), problems=[
                ProblemOut(where=p.where, field=p.field, message=p.message, line=p.line)
                for p in exc.problems])
            return Response(_json(body), status=status.HTTP_400_BAD_REQUEST)
        if isinstance(exc, InvalidTransition):
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        if isinstance(exc, RequestForbidden):
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        return super().handle_exception(exc)

    def visible(self, pk: int, *, with_content: bool = False) -> Request:
        """The request, if the user may see it; 404 otherwise (not 403, which would tell
        that it exists). ``with_content`` also loads its sequences, albums and plans."""
        requests = visible_requests(self.request.user)
        if with_content:
            requests = requests.prefetch_related("sequences__albums__plans")
        request = requests.filter(pk=pk).first()
        if request is None:
            raise NotFound(f"no request #{pk}, or not one you may see")
        return request

    def changeable(self, pk: int) -> Request:
        request = self.visible(pk)
        if not may_edit(self.request.user, request):
            raise PermissionDenied(f"you may not change request #{pk}: only the members of "
                                   "its program, the PI and the SysAdmin may")
        return request

    def cancellable(self, pk: int) -> Request:
        request = self.visible(pk)
        if not may_cancel(self.request.user, request):
            raise PermissionDenied(f"you may not cancel request #{pk}: only its owner, the "
                                   "PI and the SysAdmin may")
        return request

    def answer(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        """The request as it is now stored."""
        return Response(_json(request_out(self.visible(pk, with_content=True))), status=code)


class RequestListView(RequestsApiView):
    @extend_schema(
        operation_id="requests_list", tags=TAGS, summary="List the requests you may see",
        description="Newest first: every request with a right on all requests, else those "
                    "of your programs and your own.",
        parameters=[
            OpenApiParameter("status", str, enum=[s.value for s in RequestStatus],
                             description="only requests in this status"),
            OpenApiParameter("program", str, description="only requests of this scientific "
                                                         "program (by name)"),
            OpenApiParameter("limit", int, description="how many requests per page"),
            OpenApiParameter("offset", int, description="how many requests to skip"),
        ],
        responses={200: RequestPage, 400: OpenApiResponse(DetailOut, description="bad filter"),
                   403: _ERRORS[403]},
    )
    def get(self, request: ApiRequest) -> Response:
        requests = visible_requests(request.user)
        wanted_status = request.query_params.get("status")
        if wanted_status:
            if wanted_status not in {s.value for s in RequestStatus}:
                raise ParseError(f"unknown status '{wanted_status}' (statuses: "
                                 f"{', '.join(RequestStatus)})")
            requests = requests.filter(status=wanted_status)
        program = request.query_params.get("program")
        if program:
            requests = requests.filter(program__name=program)
        paginator = BoundedLimitOffsetPagination()
        page = paginator.paginate_queryset(
            requests.prefetch_related("sequences__albums__plans"), request, view=self)
        return paginator.get_paginated_response(
            [_json(request_out(r)) for r in page or []])

    @extend_schema(
        operation_id="requests_create", tags=TAGS, summary="Create a request",
        description="The body is a request in the JSON request format; with "
                    "`\"submitted\": true` it is submitted at once, else kept as a draft. "
                    "You are its owner and must belong to its program.",
        request=RequestSpec,
        responses={201: RequestOut, 400: _INVALID, 403: _ERRORS[403]},
    )
    def post(self, request: ApiRequest) -> Response:
        spec = json_format.spec_from_data(request.data, active_config().filters_by_detector())
        created = store.create_request(spec, owner=request.user, actor=request.user)
        return self.answer(created.pk, status.HTTP_201_CREATED)


class RequestDetailView(RequestsApiView):
    @extend_schema(operation_id="requests_retrieve", tags=TAGS, summary="Read a request",
                   description="The request with its sequences, albums and plans.",
                   parameters=[_ID], responses={200: RequestOut, **_ERRORS})
    def get(self, request: ApiRequest, pk: int) -> Response:
        return self.answer(pk)

    @extend_schema(
        operation_id="requests_update", tags=TAGS, summary="Replace a draft's content",
        description="Only a DRAFT can be replaced (409 otherwise). With "
                    "`\"submitted\": true` the request is submitted too.",
        parameters=[_ID], request=RequestSpec,
        responses={200: RequestOut, 400: _INVALID, **_ERRORS, 409: _CONFLICT},
    )
    def put(self, request: ApiRequest, pk: int) -> Response:
        existing = self.changeable(pk)
        spec = json_format.spec_from_data(request.data, active_config().filters_by_detector())
        store.replace_request(existing, spec, request.user)
        return self.answer(pk)


class RequestSubmitView(RequestsApiView):
    @extend_schema(
        operation_id="requests_submit", tags=TAGS, summary="Submit a draft for planning",
        description="The draft is checked again as a whole (windows, quota, detectors).",
        parameters=[_ID], request=None,
        responses={200: RequestOut, 400: _INVALID, **_ERRORS, 409: _CONFLICT},
    )
    def post(self, request: ApiRequest, pk: int) -> Response:
        store.submit_request(self.changeable(pk), actor=request.user)
        return self.answer(pk)


class RequestCancelView(RequestsApiView):
    @extend_schema(
        operation_id="requests_cancel", tags=TAGS, summary="Cancel a request",
        description="Its sequences that have not ended are cancelled too.",
        parameters=[_ID], request=CancelIn,
        responses={200: RequestOut, 400: OpenApiResponse(DetailOut, description="bad reason"),
                   **_ERRORS, 409: _CONFLICT},
    )
    def post(self, request: ApiRequest, pk: int) -> Response:
        existing = self.cancellable(pk)
        try:
            body = CancelIn.model_validate(request.data or {})
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "body"
            raise ParseError(f"{where}: {first['msg']}") from exc
        store.cancel_request(existing, body.reason, actor=request.user)
        return self.answer(pk)


class _FileFormatNegotiation(DefaultContentNegotiation):
    """DRF reads ``?format=`` as a choice of renderer; on export it names the file's
    format instead, so the renderer is chosen from the Accept header only."""

    class settings:  # stands in for DRF's api_settings
        URL_FORMAT_OVERRIDE = None


EXPORT_FORMATS = {
    "json": ("application/json", json_format.write_json_request),
    "xml": ("application/xml", xml_format.write_xml_request),
}


class RequestExportView(RequestsApiView):
    content_negotiation_class = _FileFormatNegotiation

    @extend_schema(
        operation_id="requests_export", tags=TAGS, summary="Download a request as a file",
        description="The file is in the JSON or XML request format, ready to import again.",
        parameters=[_ID, OpenApiParameter("format", str, enum=list(EXPORT_FORMATS),
                                          default="json", description="the file's format")],
        responses={
            (200, "application/json"): OpenApiResponse(OpenApiTypes.BINARY,
                                                       description="the request file"),
            (200, "application/xml"): OpenApiResponse(OpenApiTypes.BINARY,
                                                      description="the request file"),
            400: OpenApiResponse(DetailOut, description="unknown format"), **_ERRORS,
        },
    )
    def get(self, request: ApiRequest, pk: int) -> HttpResponse:
        file_format = request.query_params.get("format", "json")
        if file_format not in EXPORT_FORMATS:
            raise ParseError(f"unknown format '{file_format}' (formats: "
                             f"{', '.join(EXPORT_FORMATS)})")
        content_type, write = EXPORT_FORMATS[file_format]
        response = HttpResponse(write(store.spec_of(self.visible(pk))), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="request-{pk}.{file_format}"'
        return response
