"""The ``[auth]`` section: how hard guessing a password or flooding the API is made
(docs/security.md). Rates are DRF's ``"<count>/<period>"`` strings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

#: DRF's rate syntax; DRF reads only the first letter of the period.
RATE = r"^[1-9][0-9]{0,6}/(s|sec|second|m|min|minute|h|hour|d|day)$"


class AuthConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    failure_limit: int = Field(
        default=5, ge=1, le=1000,
        description="wrong passwords for one username from one address before that pair is "
                    "locked out (web login, admin login and API token alike)")
    cool_off_minutes: float = Field(
        default=15.0, gt=0.0, le=7 * 24 * 60,
        description="how long a locked-out username+address pair stays locked; a successful "
                    "login before the lock resets the count")
    login_rate: str = Field(
        default="20/min", pattern=RATE,
        description="login attempts (web, admin, API token) one address may make, whatever "
                    "the usernames; checked before any password is hashed")
    anon_rate: str = Field(
        default="600/min", pattern=RATE,
        description="API calls one anonymous address may make")
    user_rate: str = Field(
        default="6000/min", pattern=RATE,
        description="API calls one logged-in user may make")
    token_days: int = Field(
        default=90, ge=1, le=3650,
        description="days an API token is valid after it was made; then a new one is needed")
