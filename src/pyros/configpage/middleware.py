"""Each web worker reads the unit file again when it changed on disk, so that a save
through the Configuration page (served by one of the gunicorn workers) or by hand is
seen by all of them at their next request, not only by the one that wrote it."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from pyros.config.loader import refresh_if_changed


class ConfigRefreshMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refresh_if_changed()  # one stat() of the file when it did not change
        return self.get_response(request)
