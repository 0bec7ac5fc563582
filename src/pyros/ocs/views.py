"""The observation portal's endpoints that a TOM calls (docs/tom.md).

Every write goes through :mod:`pyros.observations.store`, with the token's user as the
acting user: the same validation, quota and rights as the rest of PyROS, and nothing
stored unless the whole group is valid. Validation answers 200 with ``errors``, as the
portal does (a TOM shows a 400 there as an error page, not as form errors).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request as ApiRequest
from rest_framework.response import Response
from rest_framework.views import APIView

from pyros import clock
from pyros.config.loader import active_config
from pyros.majordome.models import MajordomeState
from pyros.majordome.states import OPEN_STATES, State
from pyros.observations.access import RequestForbidden, visible_requests
from pyros.observations.api import CanUseRequests
from pyros.observations.lifecycle import InvalidTransition
from pyros.observations.models import Request, Sequence
from pyros.observations.problems import RequestInvalid
from pyros.observations.store import cancel_request, create_request, validate
from pyros.ocs import payload
from pyros.ocs.auth import ExplainsTokens
from pyros.ocs.instruments import instruments_out, profile_out
from pyros.ocs.records import group_out, observations_of, request_out
from pyros.web.params import int_param

#: The store's field names as the portal calls them, so that a TOM shows an error
#: beside its own field.
_FIELDS = {"scientific_program": "proposal", "name": "name"}


class OcsView(ExplainsTokens, APIView):
    """JSON in, the caller's user, and clear words on a refused token."""

    parser_classes: ClassVar = [JSONParser]
    permission_classes: ClassVar = [IsAuthenticated, CanUseRequests]

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, RequestForbidden):
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        return super().handle_exception(exc)

    def groups(self) -> QuerySet[Request]:
        return visible_requests(self.request.user).prefetch_related(
            "sequences__albums__plans")

    def sequence(self, pk: int) -> Sequence:
        found = (Sequence.objects.select_related("request__program", "request__owner")
                 .prefetch_related("albums__plans")
                 .filter(pk=pk, request__in=visible_requests(self.request.user)).first())
        if found is None:
            raise NotFound(f"no request {pk} that you may see")
        return found


class InstrumentsView(OcsView):
    """Public, as the portal's: names and filters only."""

    permission_classes: ClassVar = [AllowAny]

    def get(self, request: ApiRequest) -> Response:
        return Response(instruments_out(active_config()))


class ProfileView(OcsView):
    permission_classes: ClassVar = [IsAuthenticated]

    def get(self, request: ApiRequest) -> Response:
        return Response(profile_out(request.user))


def _checked(request: ApiRequest) -> tuple[Any, dict[str, Any], Any]:
    """The group as a RequestSpec (or None), its errors in the portal's shape, and the
    parsed group (None if it could not be read): every check the store makes, without
    writing."""
    group, errors = payload.parse_group(request.data)
    if group is None:
        return None, errors, None
    spec, errors = payload.translate(group, active_config())
    if spec is None:
        return None, errors, group
    try:
        validate(spec, request.user, actor=request.user)
    except RequestInvalid as exc:
        return None, _store_errors(exc), group
    except RequestForbidden as exc:
        return None, {"proposal": [str(exc)]}, group
    return spec, {}, group


def _store_errors(exc: RequestInvalid) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    for problem in exc.problems:
        field = _FIELDS.get(problem.field or "")
        if field:
            errors.setdefault(field, []).append(problem.message)
        else:
            errors.setdefault("non_field_errors", []).append(str(problem))
    return errors


class ValidateView(OcsView):
    def post(self, request: ApiRequest) -> Response:
        _spec, errors, group = _checked(request)
        durations = payload.durations(group, active_config()) if group is not None else {}
        return Response({"request_durations": durations, "errors": errors})


class RequestGroupsView(OcsView):
    def get(self, request: ApiRequest) -> Response:
        groups = self.groups()
        if "request_id" in request.query_params:
            pk = int_param(request.query_params, "request_id", 0, 1, 2**63 - 1)
            groups = groups.filter(sequences__pk=pk)
        limit = int_param(request.query_params, "limit", 100, 1, 1000)
        offset = int_param(request.query_params, "offset", 0, 0, 2**31 - 1)
        now = clock.now()
        unit = active_config()
        page = list(groups.distinct()[offset:offset + limit])
        return Response({"count": groups.distinct().count(), "next": None, "previous": None,
                         "results": [group_out(g, unit, now) for g in page]})

    def post(self, request: ApiRequest) -> Response:
        spec, errors, _group = _checked(request)
        if spec is None:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        try:
            stored = create_request(spec, request.user)
        except RequestInvalid as exc:  # changed between the check and the write
            return Response(_store_errors(exc), status=status.HTTP_400_BAD_REQUEST)
        group = self.groups().get(pk=stored.pk)
        return Response(group_out(group, active_config(), clock.now()),
                        status=status.HTTP_201_CREATED)


class RequestGroupView(OcsView):
    def get(self, request: ApiRequest, pk: int) -> Response:
        group = self.groups().filter(pk=pk).first()
        if group is None:
            raise NotFound(f"no request group {pk} that you may see")
        return Response(group_out(group, active_config(), clock.now()))


class CancelView(OcsView):
    def post(self, request: ApiRequest, pk: int) -> Response:
        group = self.groups().filter(pk=pk).first()
        if group is None:
            raise NotFound(f"no request group {pk} that you may see")
        try:
            cancel_request(group, "cancelled from a TOM", actor=request.user)
        except InvalidTransition as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        except RequestForbidden as exc:
            raise PermissionDenied(str(exc)) from None
        group = self.groups().get(pk=pk)
        return Response(group_out(group, active_config(), clock.now()))


class RequestView(OcsView):
    def get(self, request: ApiRequest, pk: int) -> Response:
        return Response(request_out(self.sequence(pk), active_config(), clock.now()))


class ObservationsView(OcsView):
    def get(self, request: ApiRequest, pk: int) -> Response:
        return Response(observations_of(self.sequence(pk), active_config(), clock.now()))


class TelescopeStatesView(OcsView):
    """The facility-status panel of a TOM: AVAILABLE while the majordome observes,
    NOT_AVAILABLE otherwise."""

    def get(self, request: ApiRequest) -> Response:
        unit = active_config()
        now = clock.now()
        state = MajordomeState.current()
        live = state.is_current(now)
        available = live and State(state.state) in OPEN_STATES
        reason = (state.cause or state.state) if live else "the majordome is not running"
        key = f"{unit.ocs.site_code}.dome.{unit.ocs.telescope_class}"
        return Response({key: [{"event_type": "AVAILABLE" if available else "NOT_AVAILABLE",
                                "event_reason": reason, "telescope": key,
                                "start": now.isoformat().replace("+00:00", "Z")}]})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A program reads every answer of the OCS port: JSON, never the site's page."""
    return JsonResponse({"detail": f"Not found: {request.path}"}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"detail": "Server error: the administrators can find it in "
                                   "logs/web.log"}, status=500)
