"""The Django settings of authentication and transport, from ``[web]`` and ``[auth]``
(docs/security.md): lockouts (django-axes), cookies and HTTPS, Content-Security-Policy.
Functions of the configuration, so that a test can apply another configuration's."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from csp.constants import NONE, SELF

from pyros.config.auth import AuthConfig

#: No inline script or style anywhere, nothing from another site; a page that needs
#: more says so on its view (web/api_docs.py).
CONTENT_SECURITY_POLICY = {"DIRECTIVES": {
    "default-src": [SELF], "script-src": [SELF], "style-src": [SELF],
    "img-src": [SELF, "data:"], "connect-src": [SELF], "font-src": [SELF],
    "object-src": [NONE], "frame-ancestors": [NONE], "base-uri": [SELF],
    "form-action": [SELF],
}}


def transport_settings(tls: bool) -> dict[str, Any]:
    """Cookies and HTTPS. ``tls``: a proxy in front serves the site over HTTPS, says so
    with ``X-Forwarded-Proto: https`` and redirects plain HTTP itself."""
    values: dict[str, Any] = {
        "SESSION_COOKIE_SECURE": tls,
        "CSRF_COOKIE_SECURE": tls,
        "SECURE_HSTS_SECONDS": 365 * 24 * 3600 if tls else 0,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SAMESITE": "Lax",
        "X_FRAME_OPTIONS": "DENY",
    }
    if tls:
        values["SECURE_PROXY_SSL_HEADER"] = ("HTTP_X_FORWARDED_PROTO", "https")
    return values


def lockout_settings(auth: AuthConfig, tls: bool) -> dict[str, Any]:
    """django-axes: ``failure_limit`` wrong passwords per username+address, then locked
    for ``cool_off_minutes``. The address is the connection's; behind the TLS proxy, the
    one the proxy adds to ``X-Forwarded-For`` (never one a client could choose)."""
    values: dict[str, Any] = {
        "AXES_FAILURE_LIMIT": auth.failure_limit,
        "AXES_COOLOFF_TIME": timedelta(minutes=auth.cool_off_minutes),
        "AXES_LOCKOUT_PARAMETERS": [["username", "ip_address"]],
        "AXES_RESET_ON_SUCCESS": True,
        "AXES_LOCKOUT_CALLABLE": "pyros.accounts.lockout.lockout_response",
        "AXES_VERBOSE": False,
        # Failures and lockouts are kept (admin: Axes); a row per successful login is not.
        "AXES_DISABLE_ACCESS_LOG": True,
        "AXES_IPWARE_META_PRECEDENCE_ORDER": ["REMOTE_ADDR"],
    }
    if tls:
        values["AXES_IPWARE_PROXY_COUNT"] = 1
        values["AXES_IPWARE_META_PRECEDENCE_ORDER"] = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    return values


def throttle_settings(auth: AuthConfig, tls: bool) -> dict[str, Any]:
    """The REST_FRAMEWORK entries of the rate limits (pyros.accounts.throttling)."""
    return {
        "DEFAULT_THROTTLE_CLASSES": ["pyros.accounts.throttling.AnonThrottle",
                                     "pyros.accounts.throttling.UserThrottle"],
        "DEFAULT_THROTTLE_RATES": {"login": auth.login_rate, "anon": auth.anon_rate,
                                   "user": auth.user_rate},
        # The connection's address, never a client-given X-Forwarded-For (one client
        # would be any number of addresses); behind the TLS proxy, what the proxy adds.
        "NUM_PROXIES": 1 if tls else 0,
    }
