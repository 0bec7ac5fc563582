"""``pyros user``: accounts from the command line, with the rules of the Users pages.

Changes are made as an acting user chosen as for ``pyros request import``: ``--as``,
else ``$PYROS_USER``, else ``admin``; :mod:`pyros.accounts.management` decides whether
they may (the PI never changes a SysAdmin, nobody their own profile...).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click

from pyros.cli.context import require_database_ready, setup_django

PROFILE_KEYS = ["visitor", "tac", "observer", "ie_is", "operator", "superoperator", "pi",
                "sysadmin"]

_as_option = click.option(
    "--as", "actor_name", default=lambda: os.environ.get("PYROS_USER", "admin"),
    show_default="$PYROS_USER or admin", help="Act as this user (their rights apply).")


def _accounts(actor_name: str, username: str) -> tuple[Any, Any]:
    """The acting user (active) and the account acted on, or a clear error."""
    setup_django()
    require_database_ready()
    from pyros.accounts.models import User

    actor = User.objects.filter(username=actor_name, is_active=True).first()
    if actor is None:
        raise click.ClickException(f"no active user '{actor_name}' (give one with --as)")
    target = User.objects.filter(username=username).first()
    if target is None:
        raise click.ClickException(f"no user '{username}'")
    return actor, target


def _change(actor_name: str, username: str, **changes: Any) -> None:
    from pyros.accounts import management

    actor, target = _accounts(actor_name, username)
    try:
        outcome = management.change_user(actor, target, management.Changes(**changes))
    except (management.Refused, management.Invalid) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{username}: {'; '.join(outcome.changed) or 'nothing to change'}")
    if outcome.mailed is False:
        click.echo(f"warning: the mail to {target.email} could not be sent", err=True)


@click.group()
def user() -> None:
    """User accounts and API tokens."""


@user.command("token")
@click.argument("username")
@click.option("--revoke", is_flag=True, help="Delete the token instead: it stops working.")
@click.option("--status", "show_status", is_flag=True,
              help="Say when the token was made and when it expires (never its key).")
@_as_option
def token(username: str, revoke: bool, show_status: bool, actor_name: str) -> None:
    """Make USERNAME a new REST API token and print it (the previous one stops working).

    The key is stored hashed: it is printed this once. Users make their own; the PI and
    the SysAdmin make them for the accounts they manage.
    """
    from pyros.accounts import api_tokens, management

    if revoke and show_status:
        raise click.UsageError("--revoke and --status cannot be used together")
    actor, target = _accounts(actor_name, username)
    if actor.pk != target.pk and not management.may_change_account(actor, target):
        raise click.ClickException(
            f"{actor.username} may not manage {username}'s token (only their own, or the "
            "PI's and the SysAdmin's for the accounts they manage)")
    if show_status:
        current = api_tokens.current(target)
        if current is None:
            click.echo(f"{username}: no API token")
        else:
            state = "expired" if api_tokens.is_expired(current) else "expires"
            click.echo(f"{username}: token made {current.created:%Y-%m-%d %H:%M} UTC, "
                       f"{state} {current.expires:%Y-%m-%d %H:%M} UTC")
        return
    if revoke:
        had = api_tokens.revoke(target)
        click.echo(f"{username}: token revoked" if had else f"{username}: had no token")
        return
    if not target.is_active:
        raise click.ClickException(f"the user '{username}' is inactive")
    issued = api_tokens.issue(target)
    click.echo(issued.key)
    click.echo(f"expires {issued.expires:%Y-%m-%d %H:%M} UTC; shown once, keep it safe",
               err=True)


@user.command("unlock")
@click.argument("username")
@_as_option
def unlock(username: str, actor_name: str) -> None:
    """Lift USERNAME's lockouts after wrong passwords, from every address, at once."""
    from axes.utils import reset

    from pyros.accounts import management

    actor, target = _accounts(actor_name, username)
    if not management.may_change_account(actor, target):
        raise click.ClickException(
            f"{actor.username} may not unlock {username} (the PI and the SysAdmin may, for "
            "the accounts they manage)")
    lifted = reset(username=username)
    click.echo(f"{username}: {lifted} lockout record(s) removed" if lifted
               else f"{username}: not locked out")


@user.command("add")
@click.argument("username")
@click.option("--profile", required=True,
              type=click.Choice(PROFILE_KEYS, case_sensitive=False))
@click.option("--password", help="The password (visible in the shell's history: prefer "
                                   "the prompt, --password-stdin or --generate-password).")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from standard input (its first line), for scripts: "
                   "`printf '%s\\n' \"$PW\" | pyros user add ...`.")
@click.option("--generate-password", is_flag=True,
              help="Make a random password and print it once.")
@click.option("--email", default="")
@click.option("--program", "programs", multiple=True, help="Make the user a member of it.")
def add(username: str, profile: str, password: str | None, password_stdin: bool,
        generate_password: bool, email: str, programs: tuple[str, ...]) -> None:
    """Create an active user with a profile, member of the given programs.

    The password is asked for on the terminal (twice), unless given by --password-stdin,
    --generate-password or --password; without a terminal one of these is needed."""
    password, generated = _new_password(password, password_stdin, generate_password)
    setup_django()
    require_database_ready()
    from django.db import transaction

    from pyros.accounts.models import Profile, User
    from pyros.accounts.profiles import ProfileLevel
    from pyros.programs.models import ScientificProgram

    if User.objects.filter(username=username).exists():
        raise click.ClickException(f"the user '{username}' already exists")
    found = {p.name: p for p in ScientificProgram.objects.filter(name__in=programs)}
    missing = sorted(set(programs) - set(found))
    if missing:
        raise click.ClickException(f"no scientific program {', '.join(missing)}")
    with transaction.atomic():
        account = User.objects.create_user(username, email, password)
        account.profile = Profile.objects.get(level=ProfileLevel[profile.upper()])
        account.save(update_fields=["profile"])
        for program in found.values():
            program.members.add(account)
    click.echo(f"created {username} ({account.profile.name})")
    if generated:
        click.echo(f"password of '{username}' (shown once): {password}")


#: Characters of a generated password's randomness: as `pyros init`'s administrator's.
GENERATED_PASSWORD_BYTES = 12


def _new_password(given: str | None, from_stdin: bool, generate: bool) -> tuple[str, bool]:
    """The new account's password and whether it was generated (then printed once).
    A prompt needs a terminal: without one (a script, a pipe, cron) the way to give it
    must be chosen, and the error says which ways there are."""
    import secrets

    chosen = [name for name, used in (("--password", given is not None),
                                      ("--password-stdin", from_stdin),
                                      ("--generate-password", generate)) if used]
    if len(chosen) > 1:
        raise click.UsageError(f"{' and '.join(chosen)} cannot be used together")
    if generate:
        return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES), True
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise click.ClickException("--password-stdin: standard input gave no password "
                                       "(an empty first line)")
        return line, False
    if given is not None:
        if not given:
            raise click.ClickException("--password: the password is empty")
        return given, False
    if not sys.stdin.isatty():
        raise click.ClickException(
            "no terminal to ask the password on: give it with --password-stdin (e.g. "
            "`printf '%s\\n' \"$PW\" | pyros user add ... --password-stdin`), or let "
            "PyROS make one with --generate-password (printed once)")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True), False


@user.command("list")
@click.option("--profile", type=click.Choice(PROFILE_KEYS, case_sensitive=False),
              help="Only users of this profile.")
@click.option("--inactive", is_flag=True, help="Only inactive accounts.")
@click.option("--program", default="", help="Only members (or the PI) of this program.")
@click.option("--search", default="", help="In the username, names or e-mails.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array, as the API's results.")
def list_users(profile: str | None, inactive: bool, program: str, search: str,
               as_json: bool) -> None:
    """List the accounts, by username."""
    setup_django()
    require_database_ready()
    from pyros.accounts.management_api import user_out
    from pyros.accounts.profiles import ProfileLevel
    from pyros.accounts.user_query import UserFilter, find_users, profile_label

    users = find_users(UserFilter(text=search, program=program,
                                  profile=ProfileLevel[profile.upper()] if profile else None,
                                  active=False if inactive else None))
    if as_json:
        click.echo(json.dumps([user_out(u).model_dump(mode="json") for u in users]))
        return
    for u in users:
        programs = ",".join(p.name for p in u.programs.all()) or "-"
        click.echo(f"{u.username:<20} {profile_label(u):<14} "
                   f"{'active' if u.is_active else 'INACTIVE':<8} {u.email or '-':<30} {programs}")


@user.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@_as_option
def passwd(username: str, password_stdin: bool, actor_name: str) -> None:
    """Set USERNAME's password (asked twice, or read from standard input)."""
    from pyros.accounts import management

    actor, target = _accounts(actor_name, username)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise click.ClickException("the password is empty")
    try:
        management.set_password(actor, target, password)
    except (management.Refused, management.Invalid) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{username}: password changed")


@user.command("set-profile")
@click.argument("username")
@click.argument("profile", type=click.Choice(PROFILE_KEYS, case_sensitive=False))
@_as_option
def set_profile(username: str, profile: str, actor_name: str) -> None:
    """Give USERNAME the profile PROFILE."""
    from pyros.accounts.profiles import ProfileLevel

    _change(actor_name, username, profile=ProfileLevel[profile.upper()])


@user.command("deactivate")
@click.argument("username")
@_as_option
def deactivate(username: str, actor_name: str) -> None:
    """Deactivate USERNAME's account (they cannot log in; they are mailed)."""
    _change(actor_name, username, is_active=False)


@user.command("activate")
@click.argument("username")
@_as_option
def activate(username: str, actor_name: str) -> None:
    """Reactivate USERNAME's account (they are mailed)."""
    _change(actor_name, username, is_active=True)
