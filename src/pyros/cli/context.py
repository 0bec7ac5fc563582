"""Setting up Django for a command, with errors an operator can act on."""

from __future__ import annotations

import os

import click


def setup_django() -> None:
    """Configure Django from the environment and the unit configuration, once."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pyros.config.settings")
    from pyros.config.loader import ConfigError

    try:
        import django

        django.setup()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def pending_migrations() -> list[str]:
    """Migrations not yet applied to the database (empty when it is up to date)."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


def require_database_ready() -> None:
    from django.db.utils import OperationalError

    try:
        pending = pending_migrations()
    except OperationalError as exc:
        raise click.ClickException(f"cannot reach the database: {exc}") from exc
    if pending:
        raise click.ClickException(
            f"the database is not initialised ({len(pending)} migrations pending): "
            "run `pyros init` (or `pyros update`) first")
