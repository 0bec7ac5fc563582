"""The Users pages under /users/: the list with its filters, and a user's page where
the PI and the SysAdmin change the profile, deactivate or reactivate, and the SysAdmin
every other field.

Anonymous visitors are sent to the login page; every profile without the matrix's
"users" right gets 403. Each change is a POST (CSRF-checked by Django's middleware)
handed to :mod:`pyros.accounts.management`, which decides; a refusal becomes a message
on the user's page (or 403 for a change the page never offered), never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from pyros.accounts import management
from pyros.accounts.management_forms import FieldsForm, ProfileForm, UserFilterForm
from pyros.accounts.models import User, user_access
from pyros.accounts.rights import Access
from pyros.accounts.user_query import find_users, profile_label

PAGE_SIZE = 50
View = Callable[..., HttpResponse]


def users_page(view: View) -> View:
    """Log in first; then 403 unless the matrix gives the "users" right."""
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if user_access(request.user, management.RIGHT) < Access.ACT:
            raise PermissionDenied("your profile has no access to user management")
        return view(request, *args, **kwargs)

    return login_required(wrapper)


@require_GET
@users_page
def user_list(request: HttpRequest) -> HttpResponse:
    form = UserFilterForm(request.GET or None)
    page = Paginator(find_users(form.wanted()), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(u, profile_label(u)) for u in page.object_list]
    return render(request, "accounts/users/list.html",
                  {"form": form, "page": page, "rows": rows})


def _detail(request: HttpRequest, target: User, *, fields_form: FieldsForm | None = None,
            status: int = 200) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    editable = management.may_edit_fields(actor)
    entries = [(e, management.described(e)) for e in management.history(target.pk)]
    return render(request, "accounts/users/detail.html", {
        "target": target, "target_profile": profile_label(target),
        "profile_form": ProfileForm(actor, target)
        if management.assignable_profiles(actor, target) else None,
        "may_toggle": management.may_change_account(actor, target) and actor.pk != target.pk,
        "fields_form": fields_form or (FieldsForm(target) if editable else None),
        "may_delete": editable and actor.pk != target.pk,
        "programs": target.programs.order_by("name"),
        "led": target.led_programs.order_by("name"),
        "history": entries,
        "has_institute": "institute" in management.editable_fields(),
    }, status=status)


@require_GET
@users_page
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_object_or_404(User.objects.select_related("profile"), pk=pk))


def _apply(request: HttpRequest, target: User, changes: management.Changes) -> HttpResponse:
    """Hand the change to the service; say what happened on the user's page."""
    try:
        outcome = management.change_user(request.user, target, changes)  # type: ignore[arg-type]
    except management.LastSysAdmin as exc:
        messages.error(request, str(exc))
    except management.Refused as exc:
        raise PermissionDenied(str(exc)) from exc
    except management.Invalid as exc:
        messages.error(request, str(exc))
    else:
        if outcome.changed:
            messages.success(request, f"{target.username}: {'; '.join(outcome.changed)}")
        else:
            messages.info(request, "nothing to change")
        if outcome.mailed is False:
            messages.warning(request, f"the mail to {target.email} could not be sent; the "
                                      "change is made")
    return redirect("users:user-detail", pk=target.pk)


@require_POST
@users_page
def user_profile(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(User, pk=pk)
    form = ProfileForm(request.user, target, request.POST)  # type: ignore[arg-type]
    if not form.is_valid():
        if not form.fields["profile"].choices:
            raise PermissionDenied("you may not change this user's profile")
        messages.error(request, f"profile: {' '.join(form.errors.get('profile', []))}")
        return redirect("users:user-detail", pk=pk)
    return _apply(request, target, management.Changes(profile=form.level()))


@require_POST
@users_page
def user_active(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(User, pk=pk)
    wanted = request.POST.get("active")
    if wanted not in ("0", "1"):
        messages.error(request, "say whether the account is to be active (active=1 or 0)")
        return redirect("users:user-detail", pk=pk)
    return _apply(request, target, management.Changes(is_active=wanted == "1"))


@require_POST
@users_page
def user_fields(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(User.objects.select_related("profile"), pk=pk)
    if not management.may_edit_fields(request.user):
        raise PermissionDenied("only the SysAdmin changes a user's other fields")
    form = FieldsForm(target, request.POST)
    if not form.is_valid():
        messages.error(request, "the fields were not saved: see below")
        return _detail(request, target, fields_form=form, status=400)
    try:
        outcome = management.change_user(request.user, target, form.changes())  # type: ignore[arg-type]
    except management.Refused as exc:
        raise PermissionDenied(str(exc)) from exc
    except management.Invalid as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _detail(request, target, fields_form=form, status=400)
    messages.success(request, f"{target.username}: {'; '.join(outcome.changed)}"
                     if outcome.changed else "nothing to change")
    return redirect("users:user-detail", pk=pk)


@require_POST
@users_page
def user_delete(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(User, pk=pk)
    try:
        management.delete_user(request.user, target)  # type: ignore[arg-type]
    except management.LastSysAdmin as exc:
        messages.error(request, str(exc))
    except management.Refused as exc:
        if not management.may_edit_fields(request.user):
            raise PermissionDenied(str(exc)) from exc
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{target.username} was deleted")
        return redirect("users:user-list")
    return redirect("users:user-detail", pk=pk)
