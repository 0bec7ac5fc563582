"""API tokens: made, rotated and revoked here; checked by :class:`HashedTokenAuthentication`.

A key is shown once to its user (token endpoint, profile page, ``pyros user token``); the
database keeps its SHA-256 only. Making a key replaces the user's previous one, so a
leaked key dies when its user asks for a new one, and every key dies after
``[auth] token_days`` days. Lifetimes are on PyROS's clock, like every date of the site.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from pyros import clock
from pyros.accounts.models import ApiToken, User

#: A key is 40 hexadecimal digits, as DRF's were: clients' checks of its form still hold.
KEY_BYTES = 20
#: Longer than any key: refused before it is hashed.
MAX_KEY_LENGTH = 64


@dataclass(frozen=True)
class IssuedToken:
    key: str
    expires: datetime


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def lifetime() -> timedelta:
    return timedelta(days=settings.PYROS_TOKEN_DAYS)


@transaction.atomic
def issue(user: User) -> IssuedToken:
    """A new key for ``user``, replacing any they had; the only time the key is known."""
    key = secrets.token_hex(KEY_BYTES)
    now = clock.now()
    expires = now + lifetime()
    ApiToken.objects.update_or_create(
        user=user, defaults={"digest": digest(key), "created": now, "expires": expires})
    return IssuedToken(key, expires)


def revoke(user: User) -> bool:
    """Delete ``user``'s token; whether they had one."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return bool(deleted)


def current(user: User) -> ApiToken | None:
    return ApiToken.objects.filter(user=user).first()


def is_expired(token: ApiToken) -> bool:
    return token.expires <= clock.now()


class HashedTokenAuthentication(TokenAuthentication):
    """DRF's ``Authorization: Token <key>``, checked against the stored digests."""

    def authenticate_credentials(self, key: str) -> tuple[User, ApiToken]:
        if len(key) > MAX_KEY_LENGTH:
            raise exceptions.AuthenticationFailed("Invalid token.")
        token = (ApiToken.objects.select_related("user", "user__profile")
                 .filter(digest=digest(key)).first())
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if is_expired(token):
            raise exceptions.AuthenticationFailed(
                f"Token expired on {token.expires:%Y-%m-%d %H:%M} UTC: get a new one "
                "(POST /api/token/, your profile page, or `pyros user token`).")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return token.user, token
