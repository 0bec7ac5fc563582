"""Hostile input refused before any view, whatever the view and its parser (issue 17,
point 5), with a 400 that says why and never echoes the bad text:

- a NUL character (``%00``) in the path or the query string: no parameter of PyROS has
  a use for one, and PostgreSQL refuses NUL in text, so a filter on it was a 500 there;
- a JSON body (``application/json`` or ``…+json``) that :func:`pyros.safejson.loads`
  refuses: nested deeper than 64 levels (Python's decoder raised RecursionError, a 500
  on every JSON endpoint, the anonymous token endpoint included), ``NaN``, ``1e400``,
  an integer past 64 bits, a lone surrogate or NUL in a string.

Here rather than in a DRF parser because views name their parsers (DRF's token view
and most of PyROS's API do), and a Django view may read ``request.body`` itself: one
check at the door covers them all. A JSON body is decoded twice (here and by the
view), a cost bounded by Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (2.5 MB)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

from pyros import safejson

NUL_MESSAGE = "The address contains a NUL character (%00), which no parameter may hold."


def _is_json(request: HttpRequest) -> bool:
    kind = (request.content_type or "").lower()
    return kind == "application/json" or kind.endswith("+json")


def _refuse(request: HttpRequest, message: str) -> HttpResponse:
    if request.path.startswith("/api/") or _is_json(request):
        return JsonResponse({"detail": message}, status=400)
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


class RefuseHostileInputMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            return _refuse(request, NUL_MESSAGE)
        if _is_json(request) and request.method not in ("GET", "HEAD", "OPTIONS"):
            body = request.body  # bounded by DATA_UPLOAD_MAX_MEMORY_SIZE (a 400 past it)
            if body.strip():
                try:
                    safejson.loads(body)
                except safejson.JSONInputError as exc:
                    return _refuse(request, f"JSON parse error - {exc}")
        return self.get_response(request)
