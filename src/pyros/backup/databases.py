"""Dumping and restoring each database PyROS runs on, by the database's own means.

Each vendor takes Django's ``DATABASES['default']`` entry (a plain dict) and speaks to
its database through the Python driver PyROS already has (sqlite3, psycopg, MySQLdb)
and, for the servers, through the dump tools of their Debian client packages:

- **SQLite**: the online backup API copies the file page by page in one read
  transaction, so the copy is one moment of the database even while agents write
  (WAL mode lets them go on meanwhile). Restoring is the same API the other way.
- **PostgreSQL**: a repeatable-read transaction exports its snapshot; the manifest's
  counts, migrations and strategies are read in it and ``pg_dump -Fc --snapshot`` dumps
  that very snapshot, so the manifest describes the dump exactly.
- **MariaDB**: ``mariadb-dump --single-transaction`` (a consistent snapshot of its own,
  without locking PyROS out); the manifest's figures come from a snapshot taken just
  before, so they may differ from the dump for the tables written meanwhile.

No Django here: the service gives the settings and the folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyros.backup.manifest import BackupError

MIGRATIONS_TABLE = "django_migrations"
STRATEGY_TABLE = "alerts_strategy"


@dataclass
class DatabaseState:
    """What the manifest says of the database, read in (or next to) the dump's snapshot."""

    counts: dict[str, int] = field(default_factory=dict)
    migrations: dict[str, list[str]] = field(default_factory=dict)
    strategies: list[dict[str, Any]] = field(default_factory=list)
    server_version: str = ""


def _fetch(cursor, sql: str) -> list[tuple]:
    cursor.execute(sql)  # MySQLdb returns a row count, not the cursor
    return list(cursor.fetchall())


def read_state(cursor, tables: list[str], quote: Callable[[str], str]) -> DatabaseState:
    """Row counts of ``tables``, applied migrations per app and the strategy versions."""
    state = DatabaseState()
    for table in sorted(tables):
        state.counts[table] = int(_fetch(cursor, f"SELECT COUNT(*) FROM {quote(table)}")[0][0])
    if MIGRATIONS_TABLE in tables:
        for app, name in _fetch(cursor, f"SELECT app, name FROM {MIGRATIONS_TABLE} ORDER BY id"):
            state.migrations.setdefault(app, []).append(name)
    if STRATEGY_TABLE in tables:
        rows = _fetch(cursor, "SELECT version, name, is_active, created_at, comment, text "
                              f"FROM {STRATEGY_TABLE} ORDER BY version")
        state.strategies = [
            {"version": int(version), "name": name, "active": bool(active),
             "created_at": str(created), "comment": comment, "text": text}
            for version, name, active, created, comment, text in rows]
    return state


def _tool(*names: str, package: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise BackupError(f"{names[0]} is not installed (nor found on PATH): install Debian's "
                      f"{package} package (apt-get install {package})")


def _run(command: list[str], env: dict[str, str] | None = None, stdin=None) -> None:
    try:
        done = subprocess.run(command, env=env, stdin=stdin, capture_output=True, text=True,
                              check=False)
    except OSError as exc:
        raise BackupError(f"cannot run {command[0]}: {exc}") from exc
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip()[-2000:] or "no message"
        raise BackupError(f"{Path(command[0]).name} failed (exit {done.returncode}):\n{message}")


class SQLite:
    vendor = "sqlite"
    dump_name = "database.sqlite3"

    def __init__(self, settings: dict[str, Any]) -> None:
        self.path = Path(str(settings["NAME"]))
        self.label = str(self.path)

    @staticmethod
    def quote(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    @staticmethod
    def _tables(connection: sqlite3.Connection) -> list[str]:
        return [name for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]

    def dump(self, folder: Path) -> DatabaseState:
        if not self.path.is_file():
            raise BackupError(f"no database at {self.path}: nothing to back up (`pyros init` "
                              "creates it)")
        source = sqlite3.connect(f"file:{self.path}?mode=rw", uri=True, timeout=20)
        copy = sqlite3.connect(folder / self.dump_name)
        try:
            source.backup(copy)  # all pages in one step: one read transaction, one moment
            copy.execute("PRAGMA journal_mode=DELETE")  # a single file, no -wal beside it
            state = read_state(copy.cursor(), self._tables(copy), self.quote)
            state.server_version = sqlite3.sqlite_version
            return state
        except sqlite3.Error as exc:
            raise BackupError(f"SQLite backup of {self.path} failed: {exc}") from exc
        finally:
            copy.close()
            source.close()

    def tables(self) -> list[str]:
        if not self.path.is_file():
            return []
        with contextlib.closing(sqlite3.connect(self.path, timeout=20)) as connection:
            return self._tables(connection)

    def create_if_missing(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def check_tools(self) -> None:
        """The driver is all it needs."""

    def restore(self, dump: Path, replaced: list[str]) -> None:
        """The backup API replaces the whole file's content, in one transaction."""
        source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
        target = sqlite3.connect(self.path, timeout=20)
        try:
            source.backup(target)
        except sqlite3.Error as exc:
            raise BackupError(f"SQLite restore into {self.path} failed: {exc}") from exc
        finally:
            target.close()
            source.close()

    def counts(self, tables: list[str]) -> dict[str, int | None]:
        with contextlib.closing(sqlite3.connect(self.path, timeout=20)) as connection:
            return _counts(connection.cursor(), self._tables(connection), tables, self.quote)


def _counts(cursor, present: list[str], tables: list[str],
            quote: Callable[[str], str]) -> dict[str, int | None]:
    return {table: (int(_fetch(cursor, f"SELECT COUNT(*) FROM {quote(table)}")[0][0])
                    if table in present else None) for table in tables}


class PostgreSQL:
    vendor = "postgresql"
    dump_name = "database.pgdump"

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        self.name = str(settings["NAME"])
        self.label = f"{self.name} on {settings.get('HOST') or 'localhost'}"

    @staticmethod
    def quote(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def _params(self, dbname: str | None = None) -> dict[str, Any]:
        s = self.settings
        params = {"dbname": dbname or self.name, "host": s.get("HOST"), "port": s.get("PORT"),
                  "user": s.get("USER"), "password": s.get("PASSWORD")}
        params.update(s.get("OPTIONS") or {})  # the link's timeouts among them
        params.setdefault("connect_timeout", 20)
        return {key: value for key, value in params.items() if value not in (None, "")}

    def _connect(self, dbname: str | None = None):
        import psycopg

        try:
            return psycopg.connect(**self._params(dbname))
        except psycopg.OperationalError as exc:
            raise BackupError(f"cannot connect to PostgreSQL database {dbname or self.name}: "
                              f"{str(exc).strip()}") from exc

    def _client(self, tool: str) -> tuple[list[str], dict[str, str]]:
        s = self.settings
        command = [_tool(tool, package="postgresql-client"), "--no-password"]
        for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
            if s.get(key):
                command += [flag, str(s[key])]
        env = dict(os.environ)
        if s.get("PASSWORD"):
            env["PGPASSWORD"] = str(s["PASSWORD"])
        return command, env

    def _tables(self, cursor) -> list[str]:
        return [name for (name,) in _fetch(
            cursor, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")]

    def dump(self, folder: Path) -> DatabaseState:
        import psycopg

        command, env = self._client("pg_dump")  # before connecting: a missing tool first
        with contextlib.closing(self._connect()) as connection:
            connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            with connection.cursor() as cursor:
                snapshot = _fetch(cursor, "SELECT pg_export_snapshot()")[0][0]
                state = read_state(cursor, self._tables(cursor), self.quote)
                state.server_version = _fetch(cursor, "SHOW server_version")[0][0]
                # The snapshot lives while this transaction is open: pg_dump reads it.
                _run([*command, "--format=custom", f"--snapshot={snapshot}",
                      f"--file={folder / self.dump_name}", "--dbname", self.name], env)
            connection.rollback()
        return state

    def tables(self) -> list[str]:
        with contextlib.closing(self._connect()) as connection, connection.cursor() as cursor:
            return self._tables(cursor)

    def create_if_missing(self) -> None:
        import psycopg
        from psycopg import sql

        try:
            psycopg.connect(**self._params()).close()
            return
        except psycopg.OperationalError as exc:
            if "does not exist" not in str(exc):
                raise BackupError(f"cannot connect to PostgreSQL database {self.name}: "
                                  f"{str(exc).strip()}") from exc
        with contextlib.closing(self._connect("postgres")) as connection:
            connection.autocommit = True
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))

    def check_tools(self) -> None:
        self._client("pg_restore")
        self._client("psql")

    def restore(self, dump: Path, replaced: list[str]) -> None:
        """pg_restore writes the dump as SQL, which psql runs in one transaction after
        dropping the tables being replaced, committed only once pg_restore has read the
        whole dump: a restore that fails leaves the database as it was, even with
        --force."""
        restore_command, env = self._client("pg_restore")
        psql_command, _ = self._client("psql")
        env["PGOPTIONS"] = "-c client_min_messages=warning"
        drops = (f"DROP TABLE IF EXISTS {', '.join(map(self.quote, replaced))} CASCADE;\n"
                 if replaced else "")
        with tempfile.TemporaryFile() as messages:
            # With --file, pg_restore connects to nothing: only psql has the options.
            dumper = subprocess.Popen(
                [restore_command[0], "--clean", "--if-exists", "--no-owner", "--no-acl",
                 "--file=-", str(dump)], stdout=subprocess.PIPE, stderr=messages, env=env)
            loader = subprocess.Popen(
                [*psql_command, "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1",
                 "--dbname", self.name],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=messages, env=env)
            assert dumper.stdout is not None and loader.stdin is not None
            try:
                loader.stdin.write(f"BEGIN;\n{drops}".encode())
                shutil.copyfileobj(dumper.stdout, loader.stdin)
                if dumper.wait() == 0:
                    loader.stdin.write(b"COMMIT;\n")
            except BrokenPipeError:
                pass  # psql stopped on an error (its message is in messages): no COMMIT
            finally:
                dumper.stdout.close()
                loader.stdin.close()
            codes = (dumper.wait(), loader.wait())
            if any(codes):
                messages.seek(0)
                text = messages.read().decode(errors="replace").strip()[-2000:]
                raise BackupError(f"pg_restore | psql failed (exit {codes[0]}, {codes[1]}); "
                                  f"the database is unchanged:\n{text or 'no message'}")

    def counts(self, tables: list[str]) -> dict[str, int | None]:
        with contextlib.closing(self._connect()) as connection, connection.cursor() as cursor:
            return _counts(cursor, self._tables(cursor), tables, self.quote)


class MariaDB:
    vendor = "mysql"
    dump_name = "database.sql"

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        self.name = str(settings["NAME"])
        self.label = f"{self.name} on {settings.get('HOST') or 'localhost'}"

    @staticmethod
    def quote(name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def _connect(self, with_database: bool = True):
        try:
            import MySQLdb
        except ImportError as exc:
            raise BackupError("the MariaDB driver is not installed: pip install "
                              "'pyros[mysql]'") from exc
        s = self.settings
        params: dict[str, Any] = {"host": s.get("HOST") or "localhost",
                                  "user": s.get("USER") or "", "charset": "utf8mb4"}
        if s.get("PORT"):
            params["port"] = int(s["PORT"])
        if s.get("PASSWORD"):
            params["password"] = str(s["PASSWORD"])
        if with_database:
            params["database"] = self.name
        try:
            return MySQLdb.connect(**params, connect_timeout=20)
        except MySQLdb.OperationalError as exc:
            raise BackupError(f"cannot connect to MariaDB database {self.name}: "
                              f"{exc.args[-1]}") from exc

    @contextlib.contextmanager
    def _client(self, *tools: str) -> Iterator[list[str]]:
        """The tool's command line, its password in a private option file for the
        command's life (never on the command line, where ``ps`` shows it)."""
        s = self.settings
        command = [_tool(*tools, package="mariadb-client")]
        with tempfile.TemporaryDirectory(prefix="pyros-mariadb-") as private:
            if s.get("PASSWORD"):
                options = Path(private) / "client.cnf"
                options.write_text(f"[client]\npassword=\"{s['PASSWORD']}\"\n")
                options.chmod(0o600)
                command.append(f"--defaults-extra-file={options}")  # must come first
            for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--user", "USER")):
                if s.get(key):
                    command.append(f"{flag}={s[key]}")
            yield command

    def _tables(self, cursor) -> list[str]:
        return [name for (name,) in _fetch(
            cursor, "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'")]

    def dump(self, folder: Path) -> DatabaseState:
        with self._client("mariadb-dump", "mysqldump") as command:
            with contextlib.closing(self._connect()) as connection:
                cursor = connection.cursor()
                cursor.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
                state = read_state(cursor, self._tables(cursor), self.quote)
                state.server_version = _fetch(cursor, "SELECT VERSION()")[0][0]
                connection.rollback()
            _run([*command, "--single-transaction", "--hex-blob", "--skip-lock-tables",
                  "--default-character-set=utf8mb4", f"--result-file={folder / self.dump_name}",
                  self.name])
        return state

    def tables(self) -> list[str]:
        with contextlib.closing(self._connect()) as connection:
            return self._tables(connection.cursor())

    def create_if_missing(self) -> None:
        with contextlib.closing(self._connect(with_database=False)) as connection:
            connection.cursor().execute(
                f"CREATE DATABASE IF NOT EXISTS {self.quote(self.name)} "
                "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")

    def check_tools(self) -> None:
        with self._client("mariadb", "mysql"):
            pass

    def restore(self, dump: Path, replaced: list[str]) -> None:
        """MariaDB commits each table's DDL at once, so nothing makes this atomic: the
        tables being replaced are dropped, then the dump loaded."""
        if replaced:
            with contextlib.closing(self._connect()) as connection:
                cursor = connection.cursor()
                cursor.execute("SET FOREIGN_KEY_CHECKS = 0")
                cursor.execute(f"DROP TABLE IF EXISTS {', '.join(map(self.quote, replaced))}")
        with self._client("mariadb", "mysql") as command, dump.open("rb") as stream:
            _run([*command, "--default-character-set=utf8mb4", self.name], stdin=stream)

    def counts(self, tables: list[str]) -> dict[str, int | None]:
        with contextlib.closing(self._connect()) as connection:
            cursor = connection.cursor()
            return _counts(cursor, self._tables(cursor), tables, self.quote)


Vendor = SQLite | PostgreSQL | MariaDB


def vendor_for(settings: dict[str, Any]) -> Vendor:
    """The vendor of Django's database entry (its ENGINE)."""
    engine = str(settings.get("ENGINE", ""))
    for suffix, kind in (("sqlite3", SQLite), ("postgresql", PostgreSQL), ("mysql", MariaDB)):
        if engine.endswith(suffix):
            return kind(settings)
    raise BackupError(f"cannot back up a database of engine {engine!r}")
