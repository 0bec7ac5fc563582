"""``pyros user``: accounts from the command line (the web admin does the rest)."""

from __future__ import annotations

import click

from pyros.cli.context import require_database_ready, setup_django


@click.group()
def user() -> None:
    """User accounts and API tokens."""


@user.command("token")
@click.argument("username")
def token(username: str) -> None:
    """Print USERNAME's REST API token, creating it if needed."""
    setup_django()
    require_database_ready()
    from rest_framework.authtoken.models import Token

    from pyros.accounts.models import User

    account = User.objects.filter(username=username, is_active=True).first()
    if account is None:
        raise click.ClickException(f"no active user '{username}'")
    click.echo(Token.objects.get_or_create(user=account)[0].key)


@user.command("add")
@click.argument("username")
@click.option("--profile", required=True,
              type=click.Choice(["visitor", "tac", "observer", "ie_is", "operator",
                                 "superoperator", "pi", "sysadmin"], case_sensitive=False))
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--email", default="")
@click.option("--program", "programs", multiple=True, help="Make the user a member of it.")
def add(username: str, profile: str, password: str, email: str, programs: tuple[str, ...]) -> None:
    """Create an active user with a profile, member of the given programs."""
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
