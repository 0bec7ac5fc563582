"""``pyros backup`` and ``pyros restore``: thin, the work is in :mod:`pyros.backup`."""

from __future__ import annotations

from pathlib import Path

import click

from pyros.backup.manifest import BackupError


def _size(count: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count} B"


@click.command()
@click.option("-o", "--output", "folder", type=click.Path(path_type=Path),
              help="Folder to create (default: backups/YYYYMMDD-HHMMSS in the data "
                   "directory).")
def backup(folder: Path | None) -> None:
    """Save the database, the configuration and its versions, consistently while
    PyROS runs, into a new folder with a manifest of checksums.

    SQLite is copied by its online backup API; PostgreSQL by pg_dump (Debian's
    postgresql-client), MariaDB by mariadb-dump (mariadb-client). The folder holds the
    archive's catalogue, not the image files themselves."""
    from pyros.backup.service import make_backup
    from pyros.cli.context import setup_django

    setup_django()
    try:
        report = make_backup(folder)
    except (BackupError, OSError) as exc:
        raise click.ClickException(f"backup failed, nothing written: {exc}") from exc
    manifest = report.manifest
    database = manifest.database
    rows = sum(manifest.counts.values())
    click.echo(f"backup written to {report.folder}")
    click.echo(f"  database: {database['vendor']} {database['name']}, "
               f"{_size(manifest.files[database['file']]['size'])}, "
               f"{len(manifest.counts)} tables, {rows} rows")
    parts = [("unit configuration" if "file" in manifest.configuration.get("unit", {})
              else "unit configuration: the shipped example, not copied")]
    if "secret_key" in manifest.configuration:
        parts.append("secret key")
    parts.append(f"{len(manifest.strategies)} alert strategy versions")
    click.echo(f"  configuration: {', '.join(parts)}")
    click.echo(f"  {len(manifest.files)} files, {_size(manifest.total_size())}, "
               f"in {report.seconds:.1f} s")


@click.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True,
              help="Replace the target database even if it is not empty.")
def restore(folder: Path, force: bool) -> None:
    """Bring back a backup made by `pyros backup`: the database, the configuration
    files, then the migrations of this PyROS.

    The folder is checked against its manifest first: a corrupt or incomplete backup is
    refused before anything changes. The target is DATABASE_URL, else the database the
    backup's configuration names; it must be empty unless --force. PyROS must be
    stopped (`pyros stop`)."""
    from pyros.backup.manifest import read_manifest
    from pyros.backup.service import choose_database_url, restore_backup
    from pyros.cli.context import setup_django
    from pyros.cli.server import running_supervisor

    try:
        manifest = read_manifest(folder)
        pid = running_supervisor()
        if pid:
            raise BackupError(f"PyROS is running here (supervisor pid {pid}): `pyros stop` "
                              "first, a restore replaces the database under it")
        choose_database_url(folder, manifest)
        setup_django()
        report = restore_backup(folder, manifest, force=force)
    except (BackupError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored {folder} (made {manifest.created} by PyROS "
               f"{manifest.pyros_version}) into {report.database}")
    if report.replaced_tables:
        click.echo(f"  replaced a database of {report.replaced_tables} tables (--force)")
    if report.count_warnings:
        click.echo("  rows differing from the manifest's figures, which were read just "
                   "before the dump:\n    " + "\n    ".join(report.count_warnings))
    else:
        click.echo(f"  {report.rows} rows in {len(manifest.counts)} tables, as in the backup")
    for line in report.configuration:
        click.echo(f"  configuration {line}")
    click.echo(f"  migrations applied: {len(report.migrations)}"
               + (f" ({', '.join(report.migrations)})" if report.migrations else ""))
    click.echo(f"  in {report.seconds:.1f} s")
