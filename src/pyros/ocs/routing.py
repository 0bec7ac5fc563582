"""The OCS API on a port of its own: requests that arrive on ``[ocs] port`` are answered
from :mod:`pyros.ocs.urls` instead of the site's own URLs.

The port is the one the connection was accepted on (gunicorn's socket), never what a
client writes in its Host header; Django's test client, which has no socket, gives
``SERVER_PORT``. Placed before CommonMiddleware, whose slash redirects must look in
the URLs the request will be answered from.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from pyros.config.loader import active_config

URLCONF = "pyros.ocs.urls"


def local_port(request: HttpRequest) -> int | None:
    sock = request.META.get("gunicorn.socket")
    if sock is not None:
        try:
            return int(sock.getsockname()[1])
        except (OSError, IndexError, TypeError, ValueError):
            return None
    try:
        return int(request.META.get("SERVER_PORT", ""))
    except ValueError:
        return None


def is_ocs_request(request: HttpRequest) -> bool:
    port = active_config().ocs.port
    return port is not None and local_port(request) == port


class OcsPortMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_ocs_request(request):
            request.urlconf = URLCONF
        return self.get_response(request)
