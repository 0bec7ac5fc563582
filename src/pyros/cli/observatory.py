"""``pyros observatory``: the observatory as a whole: the majordome's state and why it
is not observing, the operator's actions, the night log, and the operating mode.

The command is run by the staff on the observatory's computer, so it acts with every
right of the matrix; the state is checked as for the web page (``store.apply_action``),
and every action is logged in the night log as ``cli:<login>``.
"""

from __future__ import annotations

import getpass
import json
from datetime import datetime

import click

from pyros.cli.context import require_database_ready, setup_django

MODES = ("scheduler", "remote", "passive")


@click.group()
def observatory() -> None:
    """The observatory: the majordome's state, the operator's actions, the night log and
    the operating mode."""


@observatory.command("status")
@click.option("--json", "as_json", is_flag=True, help="The API's JSON "
                                                       "(/api/observatory/majordome/).")
def status(as_json: bool) -> None:
    """The majordome's state and its cause, why the telescope is not observing, the
    operator's switches, and the actions available now."""
    setup_django()
    require_database_ready()
    from pyros.config.loader import active_config
    from pyros.majordome.api import majordome_now

    majordome = majordome_now(_every_right, active_config())
    if as_json:
        click.echo(json.dumps(majordome.model_dump(mode="json"), indent=2))
        return
    since = f" since {_utc(majordome.since)}" if majordome.since else ""
    click.echo(f"state: {majordome.state}{since}")
    if majordome.cause:
        click.echo(f"cause: {majordome.cause}")
    if not majordome.running:
        last = _utc(majordome.decided_at) if majordome.decided_at else "never"
        click.echo(f"WARNING: the majordome is not running (last decision: {last})")
    sun = f"{majordome.sun_altitude:.1f}°" if majordome.sun_altitude is not None else "–"
    click.echo(f"sun: {majordome.phase or '–'} (altitude {sun})")
    click.echo(f"mode: {majordome.mode} · {'safe' if majordome.safe else 'unsafe'}")
    click.echo(f"executing: {majordome.work or 'nothing'}")
    if majordome.fault:
        click.echo(f"fault: {majordome.fault}")
    click.echo("why not observing:")
    for reason in majordome.why_not or ["(observing)"]:
        click.echo(f"  - {reason}")
    switches = majordome.switches
    click.echo("switches:")
    for name, switch in (("locked", switches.locked), ("bypass", switches.bypass),
                         ("stopped", switches.stopped)):
        who = f" (by {switch.by} at {_utc(switch.at)})" if switch.by and switch.at else ""
        pending = f" — {switch.pending}" if switch.pending else ""
        click.echo(f"  {name}: {'yes' if switch.on else 'no'}{who}{pending}")
    ack = switches.night_ack
    given = "not required" if not ack.required else "given" if ack.given else "not given"
    who = f" (by {ack.by} at {_utc(ack.at)})" if ack.by and ack.at else ""
    click.echo(f"  night ACK for {ack.night}: {given}{who}")
    available = [a.action.value for a in majordome.actions if a.available]
    click.echo(f"actions available: {', '.join(available) or 'none'}")


@observatory.command("control")
@click.argument("action")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def control(action: str, yes: bool) -> None:
    """Take an operator's action: bypass, stop_bypass, lock, unlock, go_remote,
    go_scheduler, stop, resume or night_ack (``go-remote`` works too).

    The command acts with every right (it is run by the staff on the observatory's
    computer): what the state does not allow is refused with the reason, as on the
    Observatory control page. The action is logged in the night log as cli:<login>, and
    the majordome reacts at its next decision."""
    setup_django()
    require_database_ready()
    from pyros.config.loader import active_config
    from pyros.majordome.api import parse_action
    from pyros.majordome.controls import ACTIONS
    from pyros.majordome.store import ControlRefused, apply_action

    try:
        chosen = parse_action(action)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="ACTION") from exc
    spec = ACTIONS[chosen]
    if not yes:
        click.confirm(f"{spec.label}: {spec.confirm}", abort=True)
    try:
        message = apply_action(active_config(), chosen, who=f"cli:{_user()}",
                               level=_level_for(spec.right))
    except ControlRefused as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(message)


@observatory.command("log")
@click.option("--night", default=None, metavar="YYYY-MM-DD",
              help="The night, by the date of its evening (default: tonight).")
@click.option("--kind", default=None,
              help="Only this kind: STATE, SEQUENCE, CALIBRATION, SAFETY, OPERATOR, DEVICE "
                   "or PLAN.")
@click.option("--json", "as_json", is_flag=True, help="The API's JSON (newest first).")
def log(night: str | None, kind: str | None, as_json: bool) -> None:
    """A night's log, oldest first: what the majordome and the operators did, and why."""
    setup_django()
    require_database_ready()
    from pyros import clock
    from pyros.config.loader import active_config
    from pyros.majordome.api import night_log, parse_kind, parse_night

    try:
        chosen = parse_night(night, active_config(), clock.now())
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--night") from exc
    try:
        only = parse_kind(kind)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--kind") from exc
    found = night_log(chosen, only)
    if as_json:
        click.echo(json.dumps(found.model_dump(mode="json"), indent=2))
        return
    if not found.entries:
        click.echo(f"nothing logged on the night of {chosen}")
        return
    if found.truncated:
        click.echo(f"(only the latest {len(found.entries)} lines)")
    for entry in reversed(found.entries):
        click.echo(f"{_utc(entry.time)}  {entry.kind:<11}  {entry.message}")


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


def _every_right(right: str) -> bool:
    return True


def _level_for(right: str) -> int:
    """A profile level that may act on ``right``: the command has every right, but the
    matrix gives some (the bypass, the lock, the night ACK) to the Operator alone."""
    from pyros.accounts.profiles import ProfileLevel
    from pyros.accounts.rights import Access, access

    return next(level for level in reversed(ProfileLevel) if access(level, right) >= Access.ACT)


def _utc(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment else "–"


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "unknown"
