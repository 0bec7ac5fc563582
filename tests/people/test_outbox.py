"""The outbox: a mail is stored with the action that causes it, sent after commit, kept
with its error when the server fails, retried with a doubling back-off."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction

from pyros.mail.models import OutgoingMail
from pyros.mail.outbox import _claim, backoff, failures, queue_mail, retry_pending
from pyros.ports import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def down_server(settings):
    """The SMTP backend pointed at a port nobody listens on: connection refused."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_TIMEOUT = 5
    return settings


def test_sent_after_commit_not_before(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        queue_mail(["a@example.org", "b@example.org", "a@example.org", ""], "Hello", "Body")
        assert mailoutbox == []
    assert sorted(m.to[0] for m in mailoutbox) == ["a@example.org", "b@example.org"]
    assert OutgoingMail.objects.filter(sent_at__isnull=True).count() == 0


def test_rolled_back_action_sends_nothing(mailoutbox, django_capture_on_commit_callbacks):
    with (django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError),
          transaction.atomic()):
        queue_mail("a@example.org", "Hello", "Body")
        raise RuntimeError("the action failed")
    assert mailoutbox == [] and not OutgoingMail.objects.exists()


def test_backoff_doubles_up_to_an_hour():
    assert [backoff(n, 60).total_seconds() for n in (1, 2, 3, 7, 50)] == [60, 120, 240,
                                                                         3600, 3600]


def test_failure_kept_then_retried(down_server, simulated_clock, mailoutbox,
                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queue_mail(["a@example.org", "b@example.org"], "Hello", "Body", kind="test")
    pending = list(OutgoingMail.objects.order_by("pk"))
    assert all(m.sent_at is None and m.attempts == 1 for m in pending)
    assert "ConnectionRefusedError" in pending[0].last_error
    found = failures()
    assert found.count == 2 and "ConnectionRefusedError" in found.last_error

    # Not due yet: nothing tried.
    assert retry_pending().failed == 0
    simulated_clock.advance(61)
    report = retry_pending()
    assert (report.sent, report.failed) == (0, 2)
    assert OutgoingMail.objects.filter(attempts=2).count() == 2
    # The back-off doubled: due again 120 s later, not 60.
    simulated_clock.advance(61)
    assert retry_pending().failed == 0

    down_server.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    simulated_clock.advance(60)
    assert retry_pending().sent == 2
    assert len(mailoutbox) == 2 and failures().count == 0
    assert OutgoingMail.objects.filter(sent_at__isnull=False, last_error="").count() == 2


def test_one_sender_only(simulated_clock):
    """The page's send and the periodic retry never both take the same mail."""
    now = simulated_clock.now()
    mail = OutgoingMail.objects.create(to="a@example.org", subject="s", body="b",
                                       created=now, next_attempt=now)
    assert _claim(mail.pk, now) is True
    assert _claim(mail.pk, now) is False
    # A sender that died: the mail is due again after the lease.
    assert _claim(mail.pk, now + timedelta(minutes=6)) is True


def test_sent_mails_pruned_after_a_month(simulated_clock, mailoutbox,
                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queue_mail("a@example.org", "Hello", "Body")
    assert OutgoingMail.objects.get().sent_at is not None
    simulated_clock.advance(31 * 86400)
    retry_pending()
    assert not OutgoingMail.objects.exists()
