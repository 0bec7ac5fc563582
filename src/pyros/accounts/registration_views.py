"""Pages of registration and of one's own account: sign up, the PI's activation page,
the profile page (other e-mail, password) and the password reset by e-mail."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.messages.views import SuccessMessageMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.views.decorators.http import require_http_methods

from pyros.accounts import api_tokens
from pyros.accounts.models import User, user_access
from pyros.accounts.registration import (
    OtherEmailForm,
    QueuedPasswordResetForm,
    RegistrationForm,
    activate,
)
from pyros.accounts.rights import Access
from pyros.accounts.tokens import activation_tokens, reset_tokens


def _posted(request: HttpRequest):
    """The submitted data, or None for a GET (an empty POST is still a bound form)."""
    return request.POST if request.method == "POST" else None


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    form = RegistrationForm(_posted(request))
    if request.method == "POST" and form.is_valid() and form.register() is not None:
        return redirect("register_done")
    return render(request, "accounts/register.html", {"form": form},
                  status=400 if form.errors else 200)


def register_done(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/register_done.html")


def _user_from_uid(uidb64: str) -> User | None:
    try:
        return User.objects.filter(pk=int(force_str(urlsafe_base64_decode(uidb64)))).first()
    except (ValueError, TypeError, OverflowError):
        return None


@login_required
@require_http_methods(["GET", "POST"])
def activate_account(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The page the PI's mail links to: the registration, and an Activate button. Only
    those who manage users (the matrix's ``users`` row) may open it; the link works once
    and for ``[mail] activation_days``."""
    if user_access(request.user, "users") < Access.ACT:
        raise PermissionDenied("Only the PI and the system administrator activate accounts.")
    account = _user_from_uid(uidb64)
    if account is None or not activation_tokens.check_token(account, token):
        already = account is not None and account.is_active
        return render(request, "accounts/activate.html",
                      {"account": account, "invalid": True, "already": already}, status=400)
    if request.method == "POST":
        activate(account, by=request.user)
        messages.success(request, f"{account.username} is active; they were told by mail.")
        return render(request, "accounts/activate.html", {"account": account, "done": True})
    return render(request, "accounts/activate.html", {"account": account})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    form = OtherEmailForm(_posted(request), instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your other e-mail is saved.")
        return redirect("profile")
    token = api_tokens.current(request.user)
    return render(request, "accounts/profile.html",
                  {"form": form, "api_token": token,
                   "api_token_expired": token is not None and api_tokens.is_expired(token)},
                  status=400 if form.errors else 200)


def _site_context() -> dict:
    return {"site_url": settings.PYROS_SITE_URL,
            "hours": settings.PASSWORD_RESET_TIMEOUT // 3600}


class PasswordReset(auth_views.PasswordResetView):
    form_class = QueuedPasswordResetForm
    token_generator = reset_tokens
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/mail/password_reset.txt"
    subject_template_name = "accounts/mail/password_reset_subject.txt"

    #: Read at each request: the links in the mail start with [mail] site_url.
    extra_email_context = property(lambda self: _site_context())  # type: ignore[assignment]


password_reset = PasswordReset.as_view()
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="accounts/password_reset_done.html")
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="accounts/password_reset_confirm.html", token_generator=reset_tokens)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/password_reset_complete.html")


class PasswordChange(SuccessMessageMixin, auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("profile")
    success_message = "Your password is changed."


password_change = PasswordChange.as_view()
