"""The REST API for proposals and votes.

Thin like the request API: the rights come from ``proposals.access`` (hidden → 403;
a proposal the user may not see → 404; one they may not change → 403), the rules from
``proposals.store`` (a deadline passed or a status that forbids it → 400 with the
reason; bad content → 400 with a message per field). Bodies and answers are pydantic
models, which also give drf-spectacular the OpenAPI schema.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from rest_framework import status
from rest_framework.exceptions import NotFound, ParseError, PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request as ApiRequest
from rest_framework.response import Response
from rest_framework.views import APIView

from pyros.proposals import access, store
from pyros.proposals.models import Proposal, ProposalStatus
from pyros.proposals.spec import ProposalSpec, TargetSpec, problems_of
from pyros.web.pagination import BoundedLimitOffsetPagination

TAGS = ["proposals"]
_OUTPUT = ConfigDict(json_schema_serialization_defaults_required=True)


class ProposalIn(ProposalSpec):
    """A new proposal for the open call; ``submitted: true`` submits it at once."""

    submitted: bool = False


class ProposalPatch(BaseModel):
    """The fields to change; the others keep their values."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = None
    abstract: str | None = None
    requested_hours: dict[str, float] | None = None
    targets: list[TargetSpec] | None = None
    co_investigators: list[str] | None = None
    submitted: bool | None = Field(default=None, description="true submits a DRAFT")


class VoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    grade: int = Field(ge=1, le=5, description="5 excellent … 1 poor")
    comment: str = Field(default="", max_length=5000)


class VoteOut(BaseModel):
    model_config = _OUTPUT

    voter: str | None = Field(description="the TAC member; null when shown anonymously")
    grade: int
    comment: str
    updated_at: datetime


class ProposalOut(ProposalSpec):
    model_config = _OUTPUT

    id: int
    period: str
    proposer: str
    status: ProposalStatus
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    decided_at: datetime | None
    decision_comment: str
    program: str | None = Field(description="the program it became, once accepted")
    votes: list[VoteOut] | None = Field(
        description="null when you may not see them (matrix: View Vote)")


class ProposalPage(BaseModel):
    count: int
    next: str | None
    previous: str | None
    results: list[ProposalOut]


class InvalidOut(BaseModel):
    detail: str
    problems: dict[str, list[str]] = Field(default_factory=dict)


def proposal_out(p: Proposal, user: Any, *, with_votes: bool = True) -> dict[str, Any]:
    view = access.vote_view(user, p) if with_votes else access.VoteView.NONE
    votes = None
    if view != access.VoteView.NONE:
        votes = [VoteOut(voter=v.voter.username if view == access.VoteView.ALL else None,
                         grade=v.grade, comment=v.comment, updated_at=v.updated_at)
                 for v in p.votes.all()]
    return ProposalOut.model_construct(
        id=p.pk, period=p.call.period.name, proposer=p.proposer.username,
        status=ProposalStatus(p.status), title=p.title, abstract=p.abstract,
        requested_hours=p.requested_hours,
        targets=[TargetSpec.model_construct(name=t.name, ra=t.ra, dec=t.dec)
                 for t in p.targets.all()],
        co_investigators=[u.username for u in p.co_investigators.all()],
        created_at=p.created_at, updated_at=p.updated_at, submitted_at=p.submitted_at,
        decided_at=p.decided_at, decision_comment=p.decision_comment,
        program=p.program.name if p.program_id else None, votes=votes,
    ).model_dump(mode="json")


class CanReadProposals(BasePermission):
    message = "Your profile does not give access to proposals."

    def has_permission(self, request: ApiRequest, view: APIView) -> bool:
        return access.can_read(request.user)


def _body(model: type[BaseModel], data: Any) -> Any:
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        raise store.ProposalInvalid(problems_of(exc)) from exc


_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH,
                       description="the proposal's id")
_ERR = {403: OpenApiResponse(description="not logged in, or not allowed"),
        404: OpenApiResponse(description="no such proposal, or not one you may see")}
_BAD = OpenApiResponse(InvalidOut, description="bad content, deadline passed or status "
                                               "forbids it; nothing was changed")
_PREFETCH = ("targets", "co_investigators", "votes__voter")


class ProposalsApiView(APIView):
    permission_classes: ClassVar = [IsAuthenticated, CanReadProposals]
    parser_classes: ClassVar = [JSONParser]

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, store.ProposalInvalid):
            return Response({"detail": str(exc), "problems": exc.problems}, status=400)
        if isinstance(exc, store.ProposalRefused):
            return Response({"detail": str(exc), "problems": {}}, status=400)
        return super().handle_exception(exc)

    def visible(self, pk: int) -> Proposal:
        found = access.visible_proposals(self.request.user).select_related(
            "program").prefetch_related(*_PREFETCH).filter(pk=pk).first()
        if found is None:
            raise NotFound(f"no proposal #{pk}, or not one you may see")
        return found

    def answer(self, pk: int, code: int = 200) -> Response:
        return Response(proposal_out(self.visible(pk), self.request.user), status=code)


class ProposalListView(ProposalsApiView):
    @extend_schema(
        operation_id="proposals_list", tags=TAGS, summary="List the proposals you may see",
        description="Newest first: all of them for the TAC, the PI and the SysAdmin; "
                    "else those you made or are a co-investigator of. Without votes "
                    "(read one proposal for them).",
        parameters=[OpenApiParameter("status", str, enum=ProposalStatus.values),
                    OpenApiParameter("period", str, description="e.g. 2027A"),
                    OpenApiParameter("limit", int), OpenApiParameter("offset", int)],
        responses={200: ProposalPage, 400: _BAD, 403: _ERR[403]})
    def get(self, request: ApiRequest) -> Response:
        proposals = access.visible_proposals(request.user).select_related("program")
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in ProposalStatus.values:
                raise ParseError(f"unknown status {wanted!r} (statuses: "
                                 f"{', '.join(ProposalStatus.values)})")
            proposals = proposals.filter(status=wanted)
        if request.query_params.get("period"):
            proposals = proposals.filter(call__period__name=request.query_params["period"])
        paginator = BoundedLimitOffsetPagination()
        page = paginator.paginate_queryset(
            proposals.order_by("-created_at", "-id").prefetch_related("targets",
                                                                      "co_investigators"),
            request, view=self)
        return paginator.get_paginated_response(
            [proposal_out(p, request.user, with_votes=False) for p in page or []])

    @extend_schema(operation_id="proposals_create", tags=TAGS, summary="Propose",
                   description="For the call open now; you are the proposer.",
                   request=ProposalIn, responses={201: ProposalOut, 400: _BAD, 403: _ERR[403]})
    def post(self, request: ApiRequest) -> Response:
        if not access.can_create(request.user):
            raise PermissionDenied("your profile may not make proposals")
        body = _body(ProposalIn, request.data)
        spec = ProposalSpec.model_validate(body.model_dump(exclude={"submitted"}))
        created = store.create_proposal(spec, request.user, submit=body.submitted)
        return self.answer(created.pk, status.HTTP_201_CREATED)


class ProposalDetailView(ProposalsApiView):
    @extend_schema(operation_id="proposals_retrieve", tags=TAGS, summary="Read a proposal",
                   parameters=[_ID], responses={200: ProposalOut, **_ERR})
    def get(self, request: ApiRequest, pk: int) -> Response:
        return self.answer(pk)

    @extend_schema(operation_id="proposals_update", tags=TAGS, summary="Change a proposal",
                   description="Its proposer, until the call's deadline, while undecided.",
                   parameters=[_ID], request=ProposalPatch,
                   responses={200: ProposalOut, 400: _BAD, **_ERR})
    def patch(self, request: ApiRequest, pk: int) -> Response:
        proposal = self.visible(pk)
        if not access.may_edit(request.user, proposal):
            raise PermissionDenied(f"you may not change proposal #{pk}")
        patch = _body(ProposalPatch, request.data)
        merged = {k: v for k, v in proposal_out(proposal, request.user, with_votes=False)
                  .items() if k in ProposalSpec.model_fields}
        merged.update(patch.model_dump(exclude_none=True, exclude={"submitted"}))
        spec = _body(ProposalSpec, merged)
        store.update_proposal(proposal, spec, submit=bool(patch.submitted))
        return self.answer(pk)

    @extend_schema(operation_id="proposals_destroy", tags=TAGS, summary="Delete a proposal",
                   description="Its proposer before the deadline; the PI any not accepted.",
                   parameters=[_ID], responses={204: None, 400: _BAD, **_ERR})
    def delete(self, request: ApiRequest, pk: int) -> Response:
        proposal = self.visible(pk)
        if not access.may_delete(request.user, proposal):
            raise PermissionDenied(f"you may not delete proposal #{pk}")
        store.delete_proposal(proposal, any_time=access.can_decide(request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProposalVoteView(ProposalsApiView):
    @extend_schema(operation_id="proposals_vote", tags=TAGS, summary="Vote (TAC)",
                   description="Your grade and comment; voting again changes your vote, "
                               "until the decision.",
                   parameters=[_ID], request=VoteIn,
                   responses={200: ProposalOut, 400: _BAD, **_ERR})
    def post(self, request: ApiRequest, pk: int) -> Response:
        proposal = self.visible(pk)
        if not access.can_vote(request.user):
            raise PermissionDenied("only TAC members vote")
        body = _body(VoteIn, request.data)
        store.vote(proposal, request.user, body.grade, body.comment)
        return self.answer(pk)
