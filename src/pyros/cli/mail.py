"""``pyros mail``: the mails not sent yet, and sending them now (the supervisor retries
them by itself every 30 s while the web site runs)."""

from __future__ import annotations

import click

from pyros.cli.context import require_database_ready, setup_django


@click.group()
def mail() -> None:
    """The outbox of the mails PyROS sends (registration, activation, password reset)."""


@mail.command("status")
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True)
def status(limit: int) -> None:
    """The mails not sent yet, oldest first, with their attempts and last error."""
    setup_django()
    require_database_ready()
    from pyros.mail.models import OutgoingMail

    pending = OutgoingMail.objects.filter(sent_at__isnull=True).order_by("created")
    count = pending.count()
    click.echo(f"{count} mail{'s' if count != 1 else ''} not sent")
    for item in pending[:limit]:
        click.echo(f"  #{item.pk} {item.created:%Y-%m-%d %H:%M} to {item.to}: "
                   f"{item.subject!r}, {item.attempts} attempts, next "
                   f"{item.next_attempt:%H:%M:%S} UTC"
                   + (f"; {item.last_error}" if item.last_error else ""))


@mail.command("retry")
@click.option("--all", "everything", is_flag=True,
              help="Also the mails whose next attempt is not due yet.")
def retry(everything: bool) -> None:
    """Send the mails that are due now; exits 1 if some could not be sent."""
    setup_django()
    require_database_ready()
    from pyros import clock
    from pyros.mail.models import OutgoingMail
    from pyros.mail.outbox import retry_pending

    if everything:
        OutgoingMail.objects.filter(sent_at__isnull=True).update(next_attempt=clock.now())
    report = retry_pending()
    click.echo(f"{report.sent} sent, {report.failed} not sent")
    for error in dict.fromkeys(report.errors):
        click.echo(f"  {error}")
    if report.failed:
        raise SystemExit(1)
