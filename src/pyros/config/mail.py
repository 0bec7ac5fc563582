"""The ``[mail]`` section: how PyROS sends e-mail (registration, activation, password
reset) and the address its links point to (see docs/people.md).

The password is best kept out of the file: ``PYROS_MAIL_PASSWORD`` in the environment
overrides it, as the other ``PYROS_MAIL_*`` variables override their keys
(``mail_from_environment``), so one file serves every machine.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: Environment variable -> key of [mail] it overrides.
ENVIRONMENT = {
    "PYROS_MAIL_BACKEND": "backend",
    "PYROS_MAIL_HOST": "host",
    "PYROS_MAIL_PORT": "port",
    "PYROS_MAIL_USE_TLS": "use_tls",
    "PYROS_MAIL_USE_SSL": "use_ssl",
    "PYROS_MAIL_USERNAME": "username",
    "PYROS_MAIL_PASSWORD": "password",
    "PYROS_MAIL_SENDER": "sender",
    "PYROS_SITE_URL": "site_url",
}

#: Django's e-mail backend for each ``backend`` value.
BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
}


class MailConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: Literal["smtp", "console"] = Field(
        default="smtp",
        description="'smtp' sends through host:port; 'console' prints mails on the web "
                    "server's output (a machine without a mail server)")
    host: str = Field(default="localhost", min_length=1)
    port: int = Field(default=25, ge=1, le=65535)
    use_tls: bool = Field(default=False, description="STARTTLS after connecting (port 587)")
    use_ssl: bool = Field(default=False, description="TLS from the start (port 465)")
    username: str = ""
    password: str = Field(default="", description="better: PYROS_MAIL_PASSWORD")
    timeout: float = Field(
        default=10.0, gt=0.0, le=300.0,
        description="seconds a connection to the server may take; a page that sends a "
                    "mail waits at most this long, the mail is retried later")
    sender: str = Field(default="pyros@localhost", min_length=3,
                        description="the From: address of every mail")
    site_url: str = Field(
        default="http://127.0.0.1:8000",
        description="the web site's address as users reach it: links in mails start "
                    "with it")
    activation_days: int = Field(
        default=14, ge=1, le=365,
        description="how long the PI's activation link of a new account stays valid")
    reset_hours: int = Field(
        default=24, ge=1, le=30 * 24,
        description="how long a password reset link stays valid")
    retry_seconds: int = Field(
        default=60, ge=5, le=86400,
        description="the first wait before a mail that could not be sent is tried "
                    "again; it doubles at each failure, up to an hour")

    @model_validator(mode="after")
    def _one_tls(self) -> MailConfig:
        if self.use_tls and self.use_ssl:
            raise ValueError("use_tls and use_ssl are exclusive: STARTTLS (587) or TLS "
                             "from the start (465)")
        if not self.site_url.startswith(("http://", "https://")):
            raise ValueError(f"site_url {self.site_url!r} must start with http:// or "
                             "https://")
        return self


def mail_from_environment(mail: MailConfig, environ: Mapping[str, str] = os.environ,
                          ) -> MailConfig:
    """``mail`` with the keys the ``PYROS_MAIL_*`` variables (and ``PYROS_SITE_URL``)
    set, validated again so that a bad value in the environment is named too."""
    overrides = {key: environ[var] for var, key in ENVIRONMENT.items() if environ.get(var)}
    if not overrides:
        return mail
    return MailConfig.model_validate({**mail.model_dump(), **overrides})


def email_settings(mail: MailConfig) -> dict[str, object]:
    """Django's ``EMAIL_*`` settings (and the links' lifetimes) for ``mail``."""
    return {
        "EMAIL_BACKEND": BACKENDS[mail.backend],
        "EMAIL_HOST": mail.host,
        "EMAIL_PORT": mail.port,
        "EMAIL_USE_TLS": mail.use_tls,
        "EMAIL_USE_SSL": mail.use_ssl,
        "EMAIL_HOST_USER": mail.username,
        "EMAIL_HOST_PASSWORD": mail.password,
        "EMAIL_TIMEOUT": mail.timeout,
        "DEFAULT_FROM_EMAIL": mail.sender,
        "SERVER_EMAIL": mail.sender,
        "PASSWORD_RESET_TIMEOUT": mail.reset_hours * 3600,
        "PYROS_SITE_URL": mail.site_url.rstrip("/"),
        "PYROS_ACTIVATION_TIMEOUT": mail.activation_days * 86400,
        "PYROS_MAIL_RETRY_SECONDS": mail.retry_seconds,
    }
