"""``pyros backup`` and ``pyros restore`` with Django: which database, which files, and
the migrations that bring an older backup up to date.

A backup is written into a hidden folder beside its destination and renamed into place
at the end, so a backup that fails leaves nothing that looks like a backup. A restore
checks the whole folder against its manifest, and the target database against the
backup (same vendor, no migration unknown here, empty unless forced) before it
changes anything.
"""

from __future__ import annotations

import os
import shutil
import time
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pyros import __version__, paths
from pyros.backup.databases import DatabaseState, Vendor, vendor_for
from pyros.backup.manifest import (
    BackupError,
    Manifest,
    count_differences,
    safe_relative,
    unknown_migrations,
)

CONFIG = "config"
UNIT_FILE = f"{CONFIG}/unit.toml"
SECRET_FILE = f"{CONFIG}/secret_key"
STRATEGIES = f"{CONFIG}/strategies"


def wall_now() -> datetime:
    """Backups are files on the machine, named and dated by the wall clock even when
    PyROS runs on a simulated one (a simulated night must not date a real backup)."""
    return datetime.now(UTC)


def default_folder(now: datetime | None = None) -> Path:
    """``<data directory>/backups/YYYYMMDD-HHMMSS`` (UTC), a free name."""
    stamp = f"{(now or wall_now()):%Y%m%d-%H%M%S}"
    root = paths.data_dir() / "backups"
    folder, copy = root / stamp, 1
    while folder.exists():
        copy += 1
        folder = root / f"{stamp}-{copy}"
    return folder


def _database() -> Vendor:
    from django.core.exceptions import ImproperlyConfigured
    from django.db import connections

    try:  # the backend's module is imported here: a driver may be missing
        return vendor_for(connections["default"].settings_dict)
    except ImproperlyConfigured as exc:
        raise BackupError(f"cannot use the database: {exc}") from exc


@dataclass
class BackupReport:
    folder: Path
    manifest: Manifest
    seconds: float


def make_backup(folder: Path | None = None) -> BackupReport:
    """Write a backup of this PyROS into ``folder`` (default: :func:`default_folder`)."""
    began = time.monotonic()
    folder = (folder or default_folder()).expanduser().absolute()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupError(f"{folder} already exists (and is not an empty folder): give a "
                          "new one")
    database = _database()
    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = folder.with_name(f".{folder.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(mode=0o700)  # password hashes, API tokens and the secret key
    try:
        state = database.dump(partial)
        manifest = _manifest(database, state)
        manifest.add_file(partial, database.dump_name)
        _save_configuration(partial, manifest, state)
        (partial / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
        if folder.exists():
            folder.rmdir()  # empty (checked above): the rename replaces it
        partial.rename(folder)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return BackupReport(folder, manifest, time.monotonic() - began)


def _manifest(database: Vendor, state: DatabaseState) -> Manifest:
    return Manifest(
        pyros_version=__version__, created=wall_now().isoformat(timespec="seconds"),
        database={"vendor": database.vendor, "file": database.dump_name,
                  "name": database.label, "server_version": state.server_version},
        migrations=state.migrations, counts=state.counts,
        counts_exact=database.vendor != "mysql")


def _save_configuration(folder: Path, manifest: Manifest, state: DatabaseState) -> None:
    (folder / CONFIG).mkdir()
    unit = paths.config_path()
    if unit == paths.EXAMPLE_CONFIG:
        manifest.configuration["unit"] = {"source": "example shipped with PyROS"}
    else:
        shutil.copyfile(unit, folder / UNIT_FILE)
        manifest.add_file(folder, UNIT_FILE)
        manifest.configuration["unit"] = {"file": UNIT_FILE, "source": str(unit)}
    secret = paths.data_dir() / "secret_key"
    if not os.environ.get("PYROS_SECRET_KEY") and secret.is_file():
        shutil.copyfile(secret, folder / SECRET_FILE)
        (folder / SECRET_FILE).chmod(0o600)
        manifest.add_file(folder, SECRET_FILE)
        manifest.configuration["secret_key"] = {"file": SECRET_FILE}
    if state.strategies:
        (folder / STRATEGIES).mkdir()
    for strategy in state.strategies:
        name = f"{STRATEGIES}/v{strategy['version']:04d}.toml"
        (folder / name).write_text(strategy["text"], encoding="utf-8")
        manifest.add_file(folder, name)
        manifest.strategies.append({key: value for key, value in strategy.items()
                                    if key != "text"} | {"file": name})


# -- restore ------------------------------------------------------------------------------


def choose_database_url(folder: Path, manifest: Manifest) -> None:
    """Before Django starts: without ``DATABASE_URL``, restore into the database the
    backup's own configuration names (the one PyROS will use once it is restored)."""
    unit = manifest.configuration.get("unit", {}).get("file")
    if os.environ.get("DATABASE_URL") or not unit:
        return
    try:
        url = tomllib.loads((folder / safe_relative(unit)).read_text("utf-8")) \
            .get("database", {}).get("url", "")
    except (OSError, tomllib.TOMLDecodeError, AttributeError) as exc:
        raise BackupError(f"the backup's {unit} cannot be read: {exc}") from exc
    os.environ["DATABASE_URL"] = url or f"sqlite:///{paths.data_dir() / 'pyros.sqlite3'}"


@dataclass
class RestoreReport:
    folder: Path
    manifest: Manifest
    database: str
    replaced_tables: int
    rows: int
    count_warnings: list[str] = field(default_factory=list)
    configuration: list[str] = field(default_factory=list)
    migrations: list[str] = field(default_factory=list)
    seconds: float = 0.0


def restore_backup(folder: Path, manifest: Manifest, *, force: bool = False) -> RestoreReport:
    """Bring back the database and the configuration of a checked backup, then apply
    the migrations this PyROS has that the backup's schema had not."""
    from django.db import connections
    from django.db.migrations.loader import MigrationLoader

    began = time.monotonic()
    database = _database()
    saved_vendor = manifest.database.get("vendor")
    if saved_vendor != database.vendor:
        raise BackupError(f"the backup holds a {saved_vendor} database and the target "
                          f"({database.label}) is {database.vendor}: restore it into a "
                          f"{saved_vendor} database (set DATABASE_URL)")
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    newer = unknown_migrations(manifest.migrations, known)
    if newer:
        raise BackupError(f"the backup comes from a newer PyROS (migrations unknown here: "
                          f"{', '.join(newer[:5])}{' …' if len(newer) > 5 else ''}): "
                          "install that version to restore it")
    database.check_tools()  # before anything changes
    connections.close_all()
    database.create_if_missing()
    present = database.tables()
    if present and not force:
        raise BackupError(f"the database {database.label} is not empty ({len(present)} tables): "
                          "restoring replaces all of it; give --force to do so")
    database.restore(folder / safe_relative(manifest.database["file"]), replaced=present)
    differences = count_differences(manifest.counts, database.counts(list(manifest.counts)))
    if differences and manifest.counts_exact:
        raise BackupError(f"the restored database {database.label} differs from the backup:"
                          "\n  " + "\n  ".join(differences))
    report = RestoreReport(folder, manifest, f"{database.vendor} {database.label}",
                           replaced_tables=len(present), rows=sum(manifest.counts.values()),
                           count_warnings=differences)
    report.configuration = _restore_configuration(folder, manifest)
    report.migrations = _migrate()
    report.seconds = time.monotonic() - began
    return report


def _restore_configuration(folder: Path, manifest: Manifest) -> list[str]:
    """Put the configuration files back; a different file already there is kept aside
    as ``<name>.before-restore-<stamp>``. One line per file, saying what was done."""
    stamp = f"{wall_now():%Y%m%d-%H%M%S}"
    done = []
    places = {"unit": Path(os.environ["PYROS_CONFIG"]).expanduser()
              if os.environ.get("PYROS_CONFIG") else paths.data_dir() / "unit.toml",
              "secret_key": paths.data_dir() / "secret_key"}
    for key, target in places.items():
        name = manifest.configuration.get(key, {}).get("file")
        if not name:
            continue
        source = folder / safe_relative(name)
        if target.is_file() and target.read_bytes() == source.read_bytes():
            done.append(f"{key}: {target} (unchanged)")
            continue
        line = f"{key}: {target}"
        if target.exists():
            aside = target.with_name(f"{target.name}.before-restore-{stamp}")
            target.rename(aside)
            line += f" (the previous one kept as {aside.name})"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        if key == "secret_key":
            target.chmod(0o600)
        done.append(line)
    return done


def _migrate() -> list[str]:
    from django.core.management import call_command
    from django.db import connection, connections
    from django.db.migrations.executor import MigrationExecutor

    connections.close_all()
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        call_command("migrate", interactive=False, verbosity=0)
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]
