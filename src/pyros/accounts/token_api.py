"""``POST /api/token/``: a username and password give a fresh API token.

Each call makes a new key (the previous one stops working): the key is never stored, so
it cannot be shown again. The address's ``login`` rate is checked before the password is
hashed; wrong passwords count towards the username+address lockout (django-axes), which
:mod:`pyros.accounts.lockout` answers with 429 and ``Retry-After``.
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from pyros.accounts import api_tokens
from pyros.accounts.throttling import LoginRateThrottle


class Credentials(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False,
                                     style={"input_type": "password"})


class ObtainToken(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        request=Credentials,
        responses={
            200: inline_serializer("IssuedToken", {
                "token": serializers.CharField(), "expires": serializers.DateTimeField()}),
            400: OpenApiResponse(description="Wrong username or password, or a bad field."),
            429: OpenApiResponse(description="Too many attempts from this address, or this "
                                             "username locked from it: see Retry-After."),
        },
        summary="A new API token (replaces the previous one)",
    )
    def post(self, request: Request) -> Response:
        credentials = Credentials(data=request.data)
        credentials.is_valid(raise_exception=True)
        # The Django request, not DRF's wrapper: axes marks a lockout on it, and its
        # middleware reads the mark there.
        user = authenticate(request._request, **credentials.validated_data)
        if user is None:
            return Response({"non_field_errors": ["Unable to log in with provided credentials."]},
                            status=status.HTTP_400_BAD_REQUEST)
        issued = api_tokens.issue(user)
        return Response({"token": issued.key, "expires": issued.expires})


obtain_token = ObtainToken.as_view()
