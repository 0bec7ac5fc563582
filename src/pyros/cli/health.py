"""``pyros health summarise`` (a night's figures, computed again) and ``pyros report``
(a night's morning report: built, its path printed, mailed with ``--mail``)."""

from __future__ import annotations

from datetime import date

import click

from pyros.cli.context import require_database_ready, setup_django


def _night(raw: str | None) -> date:
    """``YYYY-MM-DD``, or when not given the last night whose morning has come (in the
    morning: the night just ended; in the evening: the one before)."""
    from datetime import timedelta

    from pyros import clock
    from pyros.config.loader import active_config
    from pyros.dates import parse_day
    from pyros.scheduling.problem import night_of

    if raw is None:
        return night_of(clock.now() - timedelta(hours=12), active_config().site.longitude)
    try:
        return parse_day(raw, "--night", " (the date of its evening)")
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--night") from None


NIGHT = click.option("--night", "raw_night", metavar="DATE",
                     help="The night (the date of its evening); last night by default.")


@click.group()
def health() -> None:
    """The observatory's long-term health: each night's figures (docs/health.md)."""


@health.command("summarise")
@NIGHT
def summarise(raw_night: str | None) -> None:
    """Compute the night's summaries again (idempotent) and print them."""
    setup_django()
    require_database_ready()
    from pyros.config.loader import active_config
    from pyros.health.metrics import METRICS
    from pyros.health.models import NightMetric
    from pyros.health.summarise import summarise_night
    from pyros.health.trends import warnings_between

    unit, night = active_config(), _night(raw_night)
    done = summarise_night(night, unit)
    click.echo(f"night {night}: {done.written} figures ({done.deleted} no longer measured)")
    for row in NightMetric.objects.filter(night=night):
        info = METRICS.get(row.metric)
        where = " ".join(part for part in (row.channel, row.key) if part) or "unit"
        click.echo(f"  {row.metric:20} {where:24} {row.value:12.4g} "
                   f"{info.unit if info else '':12} n={row.count}")
    for warning in warnings_between(unit, night, night):
        click.echo(f"warning: {warning.message}")


@click.command("report")
@NIGHT
@click.option("--mail", is_flag=True, help="Also mail it to the users who subscribed.")
def report(raw_night: str | None, mail: bool) -> None:
    """Build the night's morning report and print the path of its HTML file."""
    setup_django()
    require_database_ready()
    from pyros.config.loader import active_config
    from pyros.health.morning import build_report

    built = build_report(_night(raw_night), active_config(), mail=mail)
    click.echo(built.report.path)
    if mail:
        click.echo(f"mailed to {built.mailed} subscriber{'s' if built.mailed != 1 else ''}",
                   err=True)
