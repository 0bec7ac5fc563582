"""The [mail] section: defaults, the environment's overrides, and Django's settings."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pyros.config.loader import load_config
from pyros.config.mail import MailConfig, email_settings, mail_from_environment


def test_defaults_and_django_settings():
    values = email_settings(MailConfig())
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (values["EMAIL_HOST"], values["EMAIL_PORT"]) == ("localhost", 25)
    assert values["PASSWORD_RESET_TIMEOUT"] == 24 * 3600
    assert values["PYROS_ACTIVATION_TIMEOUT"] == 14 * 86400
    assert values["PYROS_SITE_URL"] == "http://127.0.0.1:8000"


def test_environment_overrides_and_is_validated():
    mail = MailConfig(host="smtp.example.org", port=587, use_tls=True, password="in-file")
    env = {"PYROS_MAIL_PASSWORD": "secret", "PYROS_MAIL_PORT": "2525",
           "PYROS_SITE_URL": "https://pyros.example.org/"}
    merged = mail_from_environment(mail, env)
    assert (merged.password, merged.port, merged.host) == ("secret", 2525, "smtp.example.org")
    assert email_settings(merged)["PYROS_SITE_URL"] == "https://pyros.example.org"
    assert mail_from_environment(mail, {}) is mail
    with pytest.raises(ValidationError, match="port"):
        mail_from_environment(mail, {"PYROS_MAIL_PORT": "not-a-port"})


@pytest.mark.parametrize("bad", [{"use_tls": True, "use_ssl": True}, {"site_url": "pyros.org"},
                                 {"backend": "carrier-pigeon"}, {"hots": "x"}])
def test_bad_values_are_refused(bad):
    with pytest.raises(ValidationError):
        MailConfig(**bad)


def test_the_example_configuration_has_the_section():
    from pyros.paths import EXAMPLE_CONFIG

    assert load_config(EXAMPLE_CONFIG).mail == MailConfig()
