"""The morning report by mail: to every active user who subscribed (the Calibration &
Health page's setting, ``ReportSubscription``), through the outbox, so a mail server
that is down loses nothing (it is retried, and the PI sees the banner)."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse

from pyros import clock
from pyros.accounts.mails import site_url
from pyros.accounts.models import User
from pyros.health.models import ReportSubscription
from pyros.health.render import report_text
from pyros.health.report import NightReportData
from pyros.mail.outbox import queue_mail

KIND = "night report"


def subscribers() -> list[str]:
    """The addresses of the active users who want the morning report."""
    return list(User.objects.filter(
        is_active=True, report_subscription__morning_report=True).exclude(email="")
        .order_by("pk").values_list("email", flat=True))


def subscribe(user: User, wanted: bool) -> ReportSubscription:
    row, _ = ReportSubscription.objects.update_or_create(
        user=user, defaults={"morning_report": wanted, "changed_at": clock.now()})
    return row


def is_subscribed(user: User) -> bool:
    return ReportSubscription.objects.filter(user=user, morning_report=True).exists()


def mail_report(data: NightReportData, html: str) -> int:
    """Queue the report to every subscriber; the number of mails queued."""
    addresses = subscribers()
    if not addresses:
        return 0
    link = site_url(reverse("health-report", args=[data.night.isoformat()]))
    subject = f"[PyROS {data.unit}] night of {data.night}: {data.executed} sequences, " \
              f"{len(data.warnings) + len(data.anomalies)} warnings"
    with transaction.atomic():
        return len(queue_mail(addresses, subject, report_text(data, link), kind=KIND,
                              html=html))
