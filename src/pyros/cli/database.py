"""``pyros init``, ``update``, ``shell`` and ``dbshell``."""

from __future__ import annotations

import click

from pyros.cli.context import pending_migrations, setup_django


def _migrate(verbosity: int = 0) -> list[str]:
    from django.core.management import call_command

    pending = pending_migrations()
    if pending:
        call_command("migrate", interactive=False, verbosity=verbosity)
    return pending


@click.command()
@click.option("--admin-user", default="admin", show_default=True,
              help="User name of the administrator to create.")
@click.option("--admin-password", envvar="PYROS_ADMIN_PASSWORD",
              help="Its password (or PYROS_ADMIN_PASSWORD); generated and printed if absent.")
@click.option("--admin-email", default="", help="Its e-mail address.")
def init(admin_user: str, admin_password: str | None, admin_email: str) -> None:
    """Create or migrate the database and load the initial data.

    Loads the eight profiles, an administrator, the current and next observing periods,
    the example program GRB, and copies the example unit configuration into the data
    directory. Running it again changes nothing."""
    from pyros import paths

    paths.ensure_data_dirs()
    setup_django()
    from pyros.initial_data import load_initial_data, write_example_config

    applied = _migrate()
    wrote_config = write_example_config()
    report = load_initial_data(admin_user, admin_password, admin_email)
    click.echo(f"data directory: {paths.data_dir()}")
    click.echo(f"configuration: {paths.config_path()}"
               + (" (written from the example)" if wrote_config else ""))
    click.echo(f"migrations applied: {len(applied)}")
    if report.created:
        click.echo("created: " + ", ".join(report.created))
    else:
        click.echo("nothing to create: the database was already initialised")
    if report.generated_password:
        click.echo(f"administrator '{report.admin_username}' password (shown once): "
                   f"{report.generated_password}")


@click.command()
def update() -> None:
    """Apply the database migrations that are not applied yet."""
    setup_django()
    applied = _migrate(verbosity=1)
    names = f" ({', '.join(applied)})" if applied else ""
    click.echo(f"migrations applied: {len(applied)}{names}")


@click.command()
def shell() -> None:
    """A Python shell with Django and the PyROS models loaded."""
    setup_django()
    from django.core.management import call_command

    call_command("shell")


@click.command()
def dbshell() -> None:
    """The database's own command-line client (sqlite3, psql or mariadb)."""
    setup_django()
    from django.core.management import call_command
    from django.core.management.base import CommandError

    try:
        call_command("dbshell")
    except CommandError as exc:
        raise click.ClickException(str(exc)) from exc
