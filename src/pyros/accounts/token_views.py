"""The profile page's API token card: make a new key (shown once) or revoke it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from pyros.accounts import api_tokens


@login_required
@require_POST
def rotate(request: HttpRequest) -> HttpResponse:
    """A new key for the logged-in user; the page is the only place it is ever shown."""
    issued = api_tokens.issue(request.user)
    response = render(request, "accounts/token_issued.html", {"issued": issued})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def revoke(request: HttpRequest) -> HttpResponse:
    if api_tokens.revoke(request.user):
        messages.success(request, "Your API token is revoked: it no longer works.")
    else:
        messages.info(request, "You had no API token.")
    return redirect("profile")
