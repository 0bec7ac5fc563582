"""The links mailed to people: the PI's activation link and the password reset link.

Both are Django's signed, timestamped tokens (HMAC of the secret key and the account's
state), with two changes: their "now" is PyROS's clock (so a simulated run and the tests
move it), and each kind has its own lifetime and salt. A token is single-use because
what it signs changes when it is used: the password hash for a reset, ``is_active`` and
``activated_at`` for an activation.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int

from pyros import clock


class ClockTokenGenerator(PasswordResetTokenGenerator):
    """A token generator on PyROS's clock, valid ``timeout()`` seconds."""

    def timeout(self) -> int:
        return settings.PASSWORD_RESET_TIMEOUT

    def _now(self) -> datetime:
        # Django counts seconds from a naive datetime(2001, 1, 1): give it naive UTC.
        return clock.now().astimezone(UTC).replace(tzinfo=None)

    def check_token(self, user, token: str | None) -> bool:
        """Django's check, with this generator's own lifetime."""
        if not (user and token):
            return False
        try:
            ts_b36, _ = token.split("-")
            timestamp = base36_to_int(ts_b36)
        except ValueError:
            return False
        for secret in [self.secret, *self.secret_fallbacks]:
            if constant_time_compare(
                    self._make_token_with_timestamp(user, timestamp, secret), token):
                break
        else:
            return False
        age = self._num_seconds(self._now()) - timestamp
        return age <= self.timeout()


class ActivationTokenGenerator(ClockTokenGenerator):
    """The PI's link to activate a registered account."""

    key_salt = "pyros.accounts.tokens.ActivationTokenGenerator"

    def timeout(self) -> int:
        return getattr(settings, "PYROS_ACTIVATION_TIMEOUT", 14 * 86400)

    def _make_hash_value(self, user, timestamp: int) -> str:
        activated = "" if user.activated_at is None else user.activated_at.isoformat()
        return f"{user.pk}{user.password}{user.is_active}{activated}{user.email}{timestamp}"


reset_tokens = ClockTokenGenerator()
activation_tokens = ActivationTokenGenerator()
