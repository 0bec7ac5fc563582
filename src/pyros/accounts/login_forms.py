"""The login forms of the site and of the admin, refusing a username no account can
have before any password is checked.

Django's ``AuthenticationForm`` sets the username's ``max_length`` after the field is
built, so the length is not validated, and it lets lone surrogates through: such a
username then reached the database (the lockout's record of the failure) and failed
there with a 500 on PostgreSQL and MariaDB. Here it is a form error like any other.
"""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from pyros.accounts.models import User

MAX_USERNAME = User._meta.get_field("username").max_length


def username_problem(username: str) -> str | None:
    """Why ``username`` cannot be any account's, or None."""
    if len(username) > MAX_USERNAME:
        return f"A username has at most {MAX_USERNAME} characters."
    if "\x00" in username or any("\ud800" <= c <= "\udfff" for c in username):
        return "A username holds only valid, printable characters."
    return None


class _CheckedUsername:
    def clean_username(self) -> str:
        username = self.cleaned_data["username"]  # type: ignore[attr-defined]
        problem = username_problem(username)
        if problem:
            raise forms.ValidationError(problem, code="invalid_username")
        return username


class LoginForm(_CheckedUsername, AuthenticationForm):
    """The site's login form."""


class AdminLoginForm(_CheckedUsername, AdminAuthenticationForm):
    """The admin's login form."""
