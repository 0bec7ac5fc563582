"""Clear words on a refused token: a TOM only shows "No Instrument Found" or "No
proposals found", so the body is what its user reads in the TOM's log or with curl."""

from __future__ import annotations

from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated
from rest_framework.response import Response

TOKEN_HELP = ("PyROS: give a valid API token as 'Authorization: Token <key>' (the TOM's "
              "FACILITIES[...]['api_key']); make one with `pyros user token NAME` or on "
              "your profile page. Tokens expire after 90 days.")


class ExplainsTokens:
    """A mixin for an APIView: 401 bodies say how to get a token."""

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)  # type: ignore[misc]
        if isinstance(exc, AuthenticationFailed | NotAuthenticated):
            response.data = {"detail": f"{exc.detail} {TOKEN_HELP}"}
        return response
