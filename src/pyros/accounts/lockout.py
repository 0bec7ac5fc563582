"""What a client locked out by django-axes is told.

Axes counts wrong passwords per username *and* address (``[auth] failure_limit``) and
locks that pair for ``[auth] cool_off_minutes``; a success before the lock resets the
count. Locking the pair rather than the username alone means nobody can lock a real
user out of their account from elsewhere; guessing many usernames from one address is
limited by the ``login`` rate (:mod:`pyros.accounts.throttling`).

The cool-off runs on the wall clock, not PyROS's clock: a simulated night run at 60x
must not shorten a lockout.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


def cool_off_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict | None = None) -> HttpResponse:
    """429 with ``Retry-After``: JSON on the API, a page elsewhere (web and admin login)."""
    wait = cool_off_seconds()
    reason = "Too many failed logins for this account from your address."
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"detail": f"{reason} Try again in {wait // 60} minutes.",
             "retry_after": wait}, status=429)
    else:
        response = render(request, "accounts/locked_out.html",
                          {"reason": reason, "wait_seconds": wait}, status=429)
    response["Retry-After"] = str(wait)
    return response
