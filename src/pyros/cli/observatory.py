"""``pyros observatory``: the observatory as a whole. For now its operating mode, which
the majordome will own; until it lands an operator sets it here."""

from __future__ import annotations

import getpass

import click

from pyros.cli.context import require_database_ready, setup_django

MODES = ("scheduler", "remote", "passive")


@click.group()
def observatory() -> None:
    """The observatory: its operating mode."""


@observatory.command("mode")
@click.argument("mode", required=False, type=click.Choice(MODES, case_sensitive=False))
@click.option("--reason", default="", help="Why, for the record and the pages.")
def mode(mode: str | None, reason: str) -> None:
    """Show the operating mode, or set it to MODE: SCHEDULER (the scheduler's plan
    drives the telescope), REMOTE (an authorised user drives it from the web) or
    PASSIVE (nothing moves it)."""
    setup_django()
    require_database_ready()
    from pyros import clock
    from pyros.instruments.models import OperatingMode

    if mode is None:
        current = OperatingMode.current()
        if current.changed_at is None:
            click.echo(f"{current.mode} (never set)")
            return
        why = f": {current.reason}" if current.reason else ""
        click.echo(f"{current.mode} (set by {current.changed_by} at "
                   f"{current.changed_at:%Y-%m-%d %H:%M:%S} UTC{why})")
        return
    changed = OperatingMode.change(mode.upper(), by=f"cli:{_user()}", at=clock.now(),
                                   reason=reason)
    click.echo(f"operating mode: {changed.mode}")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "unknown"
