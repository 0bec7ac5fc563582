"""The REST API of user management: ``GET /api/users/`` (filtered, paginated) and
``GET/PATCH /api/users/{id}/``, for the PI and the SysAdmin (the matrix's "users"
right); every other profile gets 403, an anonymous call 401.

The views only translate: filters are :mod:`pyros.accounts.user_query`'s, changes go
through :func:`pyros.accounts.management.change_user`, so the rules are those of the
pages and of ``pyros user``. A refusal is 403, the last SysAdmin 409, a bad value 400.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from rest_framework import status
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request as ApiRequest
from rest_framework.response import Response
from rest_framework.views import APIView

from pyros.accounts import management
from pyros.accounts.models import User, user_access
from pyros.accounts.profiles import ProfileLevel
from pyros.accounts.rights import Access
from pyros.accounts.user_query import UserFilter, find_users, profile_label
from pyros.web.pagination import BoundedLimitOffsetPagination

TAGS = ["users"]
_OUTPUT = ConfigDict(json_schema_serialization_defaults_required=True)
_PROFILES = [p.name.lower() for p in ProfileLevel]


class UserOut(BaseModel):
    """An account as the PI and the SysAdmin see it."""

    model_config = _OUTPUT

    id: int
    username: str
    first_name: str
    last_name: str
    email: str
    other_email: str
    institute: str | None = Field(description="null where accounts have no institute")
    profile: str = Field(description="the profile's key: " + ", ".join(_PROFILES))
    profile_name: str
    is_active: bool
    programs: list[str] = Field(description="the scientific programs they are a member of")
    date_joined: datetime
    last_login: datetime | None


class UserPage(BaseModel):
    """One page of users (limit/offset pagination)."""

    count: int
    next: str | None
    previous: str | None
    results: list[UserOut]


class UserPatch(BaseModel):
    """The changes to make; absent fields stay. The profile and ``is_active`` are for the
    PI and the SysAdmin, the other fields for the SysAdmin only."""

    model_config = ConfigDict(extra="forbid")

    profile: str | None = Field(None, description="a profile's key (" + ", ".join(_PROFILES)
                                + "), name or level")
    is_active: bool | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    other_email: str | None = None
    institute: str | None = None
    programs: list[str] | None = Field(None, description="program names: exactly these")


class DetailOut(BaseModel):
    """Why the call failed."""

    detail: str


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.pk, username=user.username, first_name=user.first_name,
        last_name=user.last_name, email=user.email, other_email=user.other_email,
        institute=getattr(user, "institute", None), profile=user.level.name.lower(),
        profile_name=profile_label(user), is_active=user.is_active,
        programs=[p.name for p in user.programs.all()], date_joined=user.date_joined,
        last_login=user.last_login)


def _json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


class ManagesUsers(BasePermission):
    message = "Your profile may not manage users (only the PI and the SysAdmin)."

    def has_permission(self, request: ApiRequest, view: APIView) -> bool:
        return user_access(request.user, management.RIGHT) >= Access.ACT


_DENIED = {
    401: OpenApiResponse(DetailOut, description="not authenticated"),
    403: OpenApiResponse(DetailOut, description="the profile does not allow this"),
}


class UsersApiView(APIView):
    permission_classes: ClassVar = [IsAuthenticated, ManagesUsers]
    parser_classes: ClassVar = [JSONParser]


def _bool_param(params: Any, name: str) -> bool | None:
    raw = params.get(name, "").lower()
    if raw == "":
        return None
    if raw in ("true", "1", "yes"):
        return True
    if raw in ("false", "0", "no"):
        return False
    raise ParseError(f"{name} must be true or false, not '{raw}'")


class UserListView(UsersApiView):
    @extend_schema(
        operation_id="users_list", tags=TAGS, summary="List the users",
        description="By username; filters combine.",
        parameters=[
            OpenApiParameter("q", str, description="in the username, names or e-mails"),
            OpenApiParameter("profile", str, enum=_PROFILES, description="only this profile"),
            OpenApiParameter("active", bool, description="only active (true) or inactive"),
            OpenApiParameter("program", str, description="only members (or the PI) of this "
                                                         "scientific program"),
            OpenApiParameter("limit", int, description="how many users per page"),
            OpenApiParameter("offset", int, description="how many users to skip"),
        ],
        responses={200: UserPage, 400: OpenApiResponse(DetailOut, description="bad filter"),
                   **_DENIED},
    )
    def get(self, request: ApiRequest) -> Response:
        params = request.query_params
        try:
            profile = management.parse_profile(params["profile"]) if params.get("profile") \
                else None
        except management.Invalid as exc:
            raise ParseError(str(exc)) from exc
        users = find_users(UserFilter(text=params.get("q", ""), profile=profile,
                                      active=_bool_param(params, "active"),
                                      program=params.get("program", "")))
        paginator = BoundedLimitOffsetPagination()
        page = paginator.paginate_queryset(users, request, view=self)
        return paginator.get_paginated_response([_json(user_out(u)) for u in page or []])


_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH,
                       description="the user's id")


class UserDetailView(UsersApiView):
    def _user(self, pk: int) -> User:
        user = find_users(UserFilter()).filter(pk=pk).first()
        if user is None:
            raise NotFound(f"no user #{pk}")
        return user

    @extend_schema(operation_id="users_retrieve", tags=TAGS, summary="Read a user",
                   parameters=[_ID], responses={
                       200: UserOut, 404: OpenApiResponse(DetailOut, description="no such user"),
                       **_DENIED})
    def get(self, request: ApiRequest, pk: int) -> Response:
        return Response(_json(user_out(self._user(pk))))

    @extend_schema(
        operation_id="users_partial_update", tags=TAGS, summary="Change a user",
        description="All or nothing, with the rules of the Users page: nobody changes "
                    "their own profile, the PI neither gives the SysAdmin profile nor "
                    "changes a SysAdmin, the last active SysAdmin stays. Deactivating or "
                    "reactivating mails the user.",
        parameters=[_ID], request=UserPatch,
        responses={200: UserOut, 400: OpenApiResponse(DetailOut, description="bad value"),
                   404: OpenApiResponse(DetailOut, description="no such user"),
                   409: OpenApiResponse(DetailOut, description="the last active SysAdmin"),
                   **_DENIED})
    def patch(self, request: ApiRequest, pk: int) -> Response:
        target = self._user(pk)
        try:
            body = UserPatch.model_validate(request.data if isinstance(request.data, dict)
                                            else {"": request.data})
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "body"
            raise ParseError(f"{where}: {first['msg']}") from exc
        plain = {name: value for name in management.PLAIN_FIELDS
                 if (value := getattr(body, name)) is not None}
        try:
            changes = management.Changes(
                profile=management.parse_profile(body.profile) if body.profile else None,
                is_active=body.is_active, fields=plain, programs=body.programs)
            management.change_user(request.user, target, changes)
        except management.LastSysAdmin as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        except management.Refused as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        except management.Invalid as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(_json(user_out(self._user(pk))))
