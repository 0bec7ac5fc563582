"""The site's "not found" and "server error" answers: pages in the site's own style
(``404.html``, ``500.html``), and JSON under ``/api/`` where a program, not a person,
reads the answer (DRF's own errors are JSON already; these are the URLs no view
matched, and the errors no view caught).

The 500 page is rendered without the request's context: whatever failed (the database,
say) must not fail the error page too, so it needs nothing but static files.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string

log = logging.getLogger(__name__)


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or \
        "application/json" in request.headers.get("Accept", "")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"detail": f"Not found: {request.path}"}, status=404)
    return render(request, "404.html", {"path": request.path}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"detail": "Server error: the administrators can find it in "
                                       "logs/web.log"}, status=500)
    try:
        body = render_to_string("500.html")
    except Exception:  # the error page must not become a second error
        log.exception("the 500 page could not be rendered")
        body = "<h1>Server error</h1>"
    return HttpResponse(body, status=500)
