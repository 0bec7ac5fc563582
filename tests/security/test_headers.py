"""What every response says about itself: the Content-Security-Policy, framing refused,
cookies HttpOnly and SameSite=Lax; with ``[web] tls = true``, Secure cookies and HSTS on
requests the proxy marks as HTTPS."""

from __future__ import annotations

import re

import pytest
from django.test import Client, override_settings

from pyros.config.auth import AuthConfig
from pyros.config.schema import Web
from pyros.config.security import lockout_settings, throttle_settings, transport_settings
from tests.conftest import OBSERVER_PASSWORD

POLICY = {"default-src": "'self'", "script-src": "'self'", "style-src": "'self'",
          "img-src": "'self' data:", "object-src": "'none'", "frame-ancestors": "'none'",
          "base-uri": "'self'", "form-action": "'self'", "connect-src": "'self'",
          "font-src": "'self'"}


def directives(header: str) -> dict[str, str]:
    return dict(re.match(r"\s*(\S+)\s*(.*)", part).groups()
                for part in header.split(";") if part.strip())


def test_pages_carry_the_policy_and_refuse_framing(initial_data):
    response = Client().get("/login/")
    assert directives(response["Content-Security-Policy"]) == POLICY
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_only_redoc_relaxes_the_policy(initial_data):
    redoc = directives(Client().get("/api/redoc/")["Content-Security-Policy"])
    assert redoc == {**POLICY, "style-src": "'self' 'unsafe-inline'",
                     "worker-src": "'self' blob:"}
    assert directives(Client().get("/api/docs/")["Content-Security-Policy"]) == POLICY


def test_no_page_template_holds_inline_script_or_style():
    from pathlib import Path

    import pyros

    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\son[a-z]+=\"|\sstyle=\"")
    root = Path(pyros.__file__).parent
    found = [str(path.relative_to(root)) for path in root.rglob("templates/**/*.html")
             if inline.search(path.read_text())]
    assert found == STANDALONE_DOCUMENTS


#: Not pages of the site: self-contained files PyROS writes (the morning report kept in
#: the archive and mailed, its styles inside), downloaded as attachments, never shown
#: under the site's policy (tests/health/test_cli_and_pages.py: an attachment).
STANDALONE_DOCUMENTS = ["health/templates/health/report_file.html"]



def log_in(client: Client, **extra):
    client.get("/login/", **extra)
    return client.post("/login/", {"username": "alice", "password": OBSERVER_PASSWORD,
                                   "csrfmiddlewaretoken": client.cookies["csrftoken"].value},
                       **extra)


def test_without_tls_cookies_are_httponly_lax_and_not_secure(observer):
    client = Client(enforce_csrf_checks=True)
    assert log_in(client).status_code == 302
    session = client.cookies["sessionid"]
    assert session["httponly"] and session["samesite"] == "Lax" and not session["secure"]
    assert client.cookies["csrftoken"]["samesite"] == "Lax"


@pytest.mark.parametrize("tls", [True, False])
def test_the_tls_switch_is_one_setting(tls):
    values = transport_settings(Web(tls=tls).tls)
    assert values["SESSION_COOKIE_SECURE"] is tls and values["CSRF_COOKIE_SECURE"] is tls
    assert (values["SECURE_HSTS_SECONDS"] > 0) is tls
    assert ("SECURE_PROXY_SSL_HEADER" in values) is tls
    assert throttle_settings(AuthConfig(), tls)["NUM_PROXIES"] == (1 if tls else 0)
    assert lockout_settings(AuthConfig(), tls)["AXES_IPWARE_META_PRECEDENCE_ORDER"][-1] \
        == "REMOTE_ADDR"


def test_with_tls_cookies_are_secure_and_browsers_told_hsts(observer):
    with override_settings(**transport_settings(True)):
        client = Client(enforce_csrf_checks=True)
        # As a proxy sends it: the Host asked for, and over HTTPS, Django's CSRF check
        # also wants a Referer of the site itself.
        over_https = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_HOST": "testserver",
                      "HTTP_REFERER": "https://testserver/login/"}
        assert log_in(client, **over_https).status_code == 302
        assert client.cookies["sessionid"]["secure"] and client.cookies["csrftoken"]["secure"]
        assert client.cookies["sessionid"]["httponly"]
        page = client.get("/", **over_https)
        assert page["Strict-Transport-Security"] == "max-age=31536000"
