"""The real SMTP path: Django's SMTP backend talking to an aiosmtpd server this test
starts on 127.0.0.1; then the same server down (connection refused): the registration is
kept, its mails wait with their error, the PI is shown it, and they go out once the
server is back."""

from __future__ import annotations

import email
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.test import Client

from pyros.accounts.models import User
from pyros.mail.models import OutgoingMail
from pyros.mail.outbox import retry_pending
from pyros.ports import free_port
from tests.people.conftest import PASSWORD, REGISTRATION, links

pytestmark = pytest.mark.django_db


class Inbox:
    """aiosmtpd's handler: keeps every message received."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd calls it so
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if m["X-Envelope-To"] == address]


class SmtpServer:
    """aiosmtpd on 127.0.0.1:``port``, stopped and started again on the same port (a
    Controller cannot be restarted: each start is a new one)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(settings):
    """A started SMTP server, Django's SMTP backend pointed at it."""
    server = SmtpServer(free_port())
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, 10
    settings.DEFAULT_FROM_EMAIL = "pyros@observatory.example"
    settings.PYROS_SITE_URL = "http://pyros.observatory.example"
    server.start()
    try:
        yield server
    finally:
        server.stop()


def body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_registration_through_a_real_smtp_server(smtp, pi, pi_client,
                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert Client().post("/register/", REGISTRATION).status_code == 302
    inbox = smtp.inbox
    (welcome,) = inbox.to("carol@example.org")
    assert welcome["From"] == "pyros@observatory.example"
    assert "awaiting validation" in welcome["Subject"]
    (to_pi,) = inbox.to(pi.email)
    (link,) = [p for p in links(body(to_pi)) if p.startswith("/users/activate/")]
    assert "http://pyros.observatory.example/users/activate/" in body(to_pi)

    with django_capture_on_commit_callbacks(execute=True):
        assert pi_client.post(link).status_code == 200
    assert User.objects.get(username="carol").is_active
    assert any("is active" in m["Subject"] for m in inbox.to("carol@example.org"))
    assert Client().login(username="carol", password=PASSWORD)
    assert not OutgoingMail.objects.filter(sent_at__isnull=True).exists()


def test_server_down_keeps_the_registration_and_retries(smtp, pi, pi_client, simulated_clock,
                                                        django_capture_on_commit_callbacks):
    smtp.stop()
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post("/register/", REGISTRATION)
    assert response.status_code == 302  # the registration is kept
    assert User.objects.filter(username="carol", is_active=False).exists()
    pending = OutgoingMail.objects.filter(sent_at__isnull=True)
    assert pending.count() == 2
    assert all("Connection refused" in m.last_error or "ConnectionRefused" in m.last_error
               for m in pending)

    # The PI sees it on every page; others do not.
    home = pi_client.get("/").content.decode()
    assert 'id="mail-failures"' in home and "2 mails not sent" in home
    assert 'id="mail-failures"' not in Client().get("/").content.decode()

    # Still down at the first retry: kept, tried again later.
    simulated_clock.advance(61)
    assert retry_pending().failed == 2
    assert pending.filter(attempts=2).count() == 2

    smtp.start()
    simulated_clock.advance(121)
    assert retry_pending().sent == 2
    assert len(smtp.inbox.to("carol@example.org")) == 1
    (to_pi,) = smtp.inbox.to(pi.email)
    assert 'id="mail-failures"' not in pi_client.get("/").content.decode()

    # The link mailed late still works.
    (link,) = [p for p in links(body(to_pi)) if p.startswith("/users/activate/")]
    with django_capture_on_commit_callbacks(execute=True):
        assert pi_client.post(link).status_code == 200
    assert User.objects.get(username="carol").is_active
