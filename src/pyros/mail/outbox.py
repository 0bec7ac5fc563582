"""Queueing and sending mails.

``queue_mail`` writes the mail in the caller's transaction, so that the action that
causes it (an account created, activated) and its mail are stored together or not at
all, and sends it once that transaction has committed. A mail that cannot be sent (the
server is down, refuses, times out) stays in the table with its error and is tried again
by ``retry_pending`` after a back-off that doubles at each failure (up to an hour): the
supervisor calls it every ``RETRY_PERIOD`` seconds (``run_periodically``), and
``pyros mail retry`` does it by hand. ``failures`` is what the PI is shown.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from smtplib import SMTPRecipientsRefused, SMTPSenderRefused

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import close_old_connections, transaction

from pyros import clock
from pyros.mail.models import OutgoingMail

log = logging.getLogger("pyros.mail")

#: Seconds between two runs of retry_pending in the supervisor.
RETRY_PERIOD = 30.0
#: The longest wait between two attempts.
MAX_BACKOFF = 3600
#: Sent mails are kept this long, then deleted by retry_pending.
KEEP_SENT = timedelta(days=30)
#: A claimed mail that was neither sent nor failed by then (its sender died) is due again.
LEASE = timedelta(minutes=5)


def queue_mail(to: str | Iterable[str], subject: str, body: str, kind: str = "",
               html: str = "") -> list[OutgoingMail]:
    """Store one mail per recipient in the current transaction, and send them when it
    commits (at once outside a transaction). Empty addresses are skipped; ``html``, when
    given, is sent as the body's HTML alternative."""
    recipients = [to] if isinstance(to, str) else list(to)
    now = clock.now()
    mails = [OutgoingMail.objects.create(to=address, subject=subject[:255], body=body,
                                         html=html, kind=kind, created=now, next_attempt=now)
             for address in dict.fromkeys(recipients) if address]
    if mails:
        ids = [mail.pk for mail in mails]
        # robust: a mail that raises must not turn the committed action into an error page.
        transaction.on_commit(lambda: send_mails(ids), robust=True)
    return mails


def backoff(attempts: int, first: int | None = None) -> timedelta:
    """The wait after the ``attempts``-th failure: first, twice that, ... at most an hour."""
    first = first or getattr(settings, "PYROS_MAIL_RETRY_SECONDS", 60)
    return timedelta(seconds=min(first * 2 ** max(attempts - 1, 0), MAX_BACKOFF))


def _claim(pk: int, now: datetime) -> bool:
    """Take the mail for sending; False when someone else has it or it is not due."""
    return OutgoingMail.objects.filter(
        pk=pk, sent_at__isnull=True, next_attempt__lte=now,
    ).update(next_attempt=now + LEASE) == 1


def _send(mail: OutgoingMail, connection) -> str:
    """Send one claimed mail; the error ("" when sent) is recorded on its row."""
    try:
        message = EmailMultiAlternatives(mail.subject, mail.body, settings.DEFAULT_FROM_EMAIL,
                                         [mail.to], connection=connection)
        if mail.html:
            message.attach_alternative(mail.html, "text/html")
        message.send()
    except Exception as exc:  # whatever the backend raises: kept, shown, retried
        error = f"{type(exc).__name__}: {exc}"[:2000]
        _failed(mail, error)
        return error
    OutgoingMail.objects.filter(pk=mail.pk).update(attempts=mail.attempts + 1,
                                                   sent_at=clock.now(), last_error="")
    return ""


def _failed(mail: OutgoingMail, error: str) -> None:
    attempts = mail.attempts + 1
    OutgoingMail.objects.filter(pk=mail.pk).update(
        attempts=attempts, last_error=error, next_attempt=clock.now() + backoff(attempts))
    log.warning("mail %d to %s not sent (attempt %d): %s", mail.pk, mail.to, attempts, error)


@dataclass(frozen=True)
class RetryReport:
    sent: int
    failed: int
    errors: tuple[str, ...]


def send_mails(ids: Iterable[int]) -> RetryReport:
    """Send these mails now, each that is still due and not taken by someone else."""
    now = clock.now()
    mails = OutgoingMail.objects.filter(pk__in=list(ids), sent_at__isnull=True)
    return _send_claimed([m for m in mails.order_by("pk") if _claim(m.pk, now)])


def _send_claimed(mails: list[OutgoingMail]) -> RetryReport:
    sent = failed = 0
    errors: list[str] = []
    connection = get_connection(fail_silently=False)
    try:
        for index, mail in enumerate(mails):
            error = _send(mail, connection)
            if not error:
                sent += 1
                continue
            failed += 1
            errors.append(error)
            if not _only_this_mail(error):
                # The server itself failed (down, refusing, timing out): the others would
                # only wait for it in turn. They fail with it, and are retried with it.
                for other in mails[index + 1:]:
                    _failed(other, error)
                    failed += 1
                break
    finally:
        with contextlib.suppress(Exception):  # closing a connection that never opened
            connection.close()
    return RetryReport(sent, failed, tuple(errors))


def _only_this_mail(error: str) -> bool:
    """Whether a failure is the recipient's or sender's (other mails may still go)."""
    return error.startswith((SMTPRecipientsRefused.__name__, SMTPSenderRefused.__name__))


def retry_pending(limit: int = 100) -> RetryReport:
    """Send the mails whose next attempt is due (at most ``limit``, the oldest due
    first), and delete those sent more than ``KEEP_SENT`` ago."""
    now = clock.now()
    OutgoingMail.objects.filter(sent_at__lt=now - KEEP_SENT).delete()
    due = list(OutgoingMail.objects.filter(sent_at__isnull=True, next_attempt__lte=now)
               .order_by("next_attempt", "pk")[:limit])
    return _send_claimed([m for m in due if _claim(m.pk, now)])


@dataclass(frozen=True)
class Failures:
    """What the PI is shown: mails tried and not sent, and the latest error."""

    count: int
    last_error: str = ""
    oldest: datetime | None = None


def failures() -> Failures:
    pending = OutgoingMail.objects.filter(sent_at__isnull=True, attempts__gt=0)
    count = pending.count()
    if not count:
        return Failures(0)
    latest = pending.order_by("-created").only("last_error").first()
    oldest = pending.order_by("created").values_list("created", flat=True).first()
    return Failures(count, latest.last_error if latest else "", oldest)


def run_periodically(stop: threading.Event, period: float = RETRY_PERIOD) -> None:
    """``retry_pending`` every ``period`` seconds until ``stop`` is set: the supervisor's
    mail thread. An error (the database away) is logged and the loop goes on."""
    while not stop.wait(period):
        try:
            report = retry_pending()
            if report.sent or report.failed:
                log.info("mail retry: %d sent, %d failed", report.sent, report.failed)
        except Exception:
            log.exception("mail retry failed; trying again in %g s", period)
        finally:
            close_old_connections()
