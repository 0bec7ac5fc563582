"""Rate limits on logging in and on the API, kept in a cache every web worker shares.

Three limits (rates in ``[auth]``, docs/security.md):

* ``login``: login attempts per address, web login, admin login and API token alike,
  whatever the usernames. It is checked before the password is hashed, so a flood of
  anonymous clients costs the server a cache read each, not a PBKDF2 run.
* ``anon`` / ``user``: API calls per anonymous address / per logged-in user.

Wrong passwords for one username are counted by django-axes (per username and address,
see :mod:`pyros.accounts.lockout`), not here.

The count is kept in the ``throttle`` cache (files in the data directory), not in a
worker's memory: with several gunicorn workers, a per-worker count would multiply the
limit by the number of workers.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle


class _SharedCache:
    """The shared cache, and the rate read at each request (settings may change)."""

    scope: str

    @property
    def cache(self):  # type: ignore[override]
        return caches["throttle"]

    def get_rate(self) -> str:
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


class LoginRateThrottle(_SharedCache, SimpleRateThrottle):
    """Login attempts per client address, logged in or not."""

    scope = "login"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AnonThrottle(_SharedCache, AnonRateThrottle):
    """API calls per anonymous address."""


class UserThrottle(_SharedCache, UserRateThrottle):
    """API calls per logged-in user (per address when anonymous: :class:`AnonThrottle`
    is the one that counts those)."""

    def get_cache_key(self, request, view) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None
        return super().get_cache_key(request, view)


def throttle_logins(view: Callable[..., HttpResponse],
                    reason: str = "Too many login attempts from your address.",
                    ) -> Callable[..., HttpResponse]:
    """A login page whose POSTs count against the address's ``login`` rate; over it,
    a page that says when to try again (429, ``Retry-After``) instead of the form.
    Registration and password reset, which send mails, count against the same rate:
    a flood of them would fill the mail queue and others' inboxes."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "POST":
            throttle = LoginRateThrottle()
            if not throttle.allow_request(request, None):
                wait = max(1, round(throttle.wait() or 1))
                response = render(request, "accounts/locked_out.html", {
                    "reason": reason,
                    "wait_seconds": wait}, status=429)
                response["Retry-After"] = str(wait)
                return response
        return view(request, *args, **kwargs)

    return wrapped
