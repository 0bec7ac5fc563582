"""The backup's manifest and the checks a restore makes before it touches anything, and
SQLite's online backup on a file of its own: no Django database."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from pyros.backup.databases import MariaDB, PostgreSQL, SQLite, vendor_for
from pyros.backup.manifest import (
    MANIFEST,
    BackupError,
    Manifest,
    count_differences,
    read_manifest,
    unknown_migrations,
)
from pyros.backup.service import default_folder
from pyros.cli.main import cli


def a_backup(folder: Path) -> Manifest:
    """A well-formed backup folder with two files."""
    (folder / "config").mkdir(parents=True)
    (folder / "database.sqlite3").write_bytes(b"not really a database" * 100)
    (folder / "config" / "unit.toml").write_text("unit = 'x'\n")
    manifest = Manifest(pyros_version="0.1.0", created="2026-11-22T10:00:00+00:00",
                        database={"vendor": "sqlite", "file": "database.sqlite3"},
                        migrations={"observations": ["0001_initial"]},
                        counts={"observations_request": 3}, counts_exact=True)
    manifest.add_file(folder, "database.sqlite3")
    manifest.add_file(folder, "config/unit.toml")
    (folder / MANIFEST).write_text(manifest.to_json())
    return manifest


def test_a_whole_backup_reads_back_as_it_was_written(tmp_path):
    written = a_backup(tmp_path)
    assert read_manifest(tmp_path) == written
    assert written.total_size() == 2100 + 11


@pytest.mark.parametrize(("damage", "said"), [
    (lambda f: (f / "config/unit.toml").unlink(), "config/unit.toml: missing"),
    (lambda f: (f / "config/unit.toml").write_text("unit = 'y'\n"), "SHA-256 differs"),
    (lambda f: (f / "database.sqlite3").write_bytes(b"short"), "5 bytes, the manifest says"),
    (lambda f: (f / MANIFEST).unlink(), "holds no manifest.json"),
    (lambda f: (f / MANIFEST).write_text("{ half"), "not valid JSON"),
    (lambda f: (f / MANIFEST).write_text("[]"), "not a PyROS backup manifest"),
    (lambda f: (f / MANIFEST).write_text('{"format": 99}'), "has format 99"),
    (lambda f: (f / MANIFEST).write_text('{"format": 1}'), "lacks pyros_version"),
])
def test_a_damaged_backup_is_refused_saying_what_is_wrong(tmp_path, damage, said):
    a_backup(tmp_path)
    damage(tmp_path)
    with pytest.raises(BackupError, match=said):
        read_manifest(tmp_path)


@pytest.mark.parametrize("name", ["../outside", "/etc/passwd", ""])
def test_a_manifest_cannot_name_a_file_outside_the_backup(tmp_path, name):
    manifest = a_backup(tmp_path)
    manifest.files[name] = {"size": 0, "sha256": ""}
    (tmp_path / MANIFEST).write_text(manifest.to_json())
    with pytest.raises(BackupError, match="outside the backup"):
        read_manifest(tmp_path)


def test_the_database_dump_must_be_in_the_manifest(tmp_path):
    manifest = a_backup(tmp_path)
    del manifest.files["database.sqlite3"]
    (tmp_path / MANIFEST).write_text(manifest.to_json())
    with pytest.raises(BackupError, match="database dump is not listed"):
        read_manifest(tmp_path)


def test_counts_and_migrations_are_compared():
    assert count_differences({"a": 1, "b": 2}, {"a": 1, "b": 2}) == []
    assert count_differences({"a": 1, "b": 2, "c": 0}, {"a": 1, "b": 3, "c": None}) == [
        "b: 3 rows, the backup had 2", "c: no such table rows, the backup had 0"]
    known = {("observations", "0001_initial"), ("observations", "0002_x")}
    assert unknown_migrations({"observations": ["0001_initial"]}, known) == []
    assert unknown_migrations({"observations": ["0001_initial", "0003_new"],
                               "future": ["0001_initial"]}, known) == [
        "future.0001_initial", "observations.0003_new"]


def test_the_default_folder_is_dated_and_free(tmp_path, monkeypatch):
    from datetime import UTC, datetime

    monkeypatch.setenv("PYROS_HOME", str(tmp_path))
    moment = datetime(2026, 11, 22, 3, 4, 5, tzinfo=UTC)
    assert default_folder(moment) == tmp_path / "backups" / "20261122-030405"
    (tmp_path / "backups" / "20261122-030405").mkdir(parents=True)
    assert default_folder(moment).name == "20261122-030405-2"


def test_each_engine_has_its_vendor():
    assert isinstance(vendor_for({"ENGINE": "django.db.backends.sqlite3", "NAME": "x"}),
                      SQLite)
    assert isinstance(vendor_for({"ENGINE": "django.db.backends.postgresql", "NAME": "x"}),
                      PostgreSQL)
    assert isinstance(vendor_for({"ENGINE": "django.db.backends.mysql", "NAME": "x"}), MariaDB)
    with pytest.raises(BackupError, match=r"engine 'django\.db\.backends\.oracle'"):
        vendor_for({"ENGINE": "django.db.backends.oracle", "NAME": "x"})


@pytest.mark.parametrize(("vendor", "tool", "package"), [
    (PostgreSQL, "pg_dump", "postgresql-client"), (MariaDB, "mariadb-dump", "mariadb-client")])
def test_a_missing_tool_is_named_with_its_package_before_any_connection(
        tmp_path, monkeypatch, vendor, tool, package):
    monkeypatch.setenv("PATH", str(tmp_path))
    server = vendor({"NAME": "nowhere", "HOST": "192.0.2.1", "PORT": 1})  # never reached
    with pytest.raises(BackupError, match=f"{tool} is not installed.*apt-get install {package}"):
        server.dump(tmp_path)
    with pytest.raises(BackupError, match=package):
        server.check_tools()


def _a_database(path: Path, rows: int) -> None:
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE django_migrations (id INTEGER PRIMARY KEY, app, name)")
        db.execute("INSERT INTO django_migrations (app, name) VALUES ('observations', "
                   "'0001_initial'), ('observations', '0002_more'), ('alerts', '0001_initial')")
        db.execute("CREATE TABLE alerts_strategy (version, name, is_active, created_at, "
                   "comment, text)")
        db.execute("INSERT INTO alerts_strategy VALUES (1, 's', 1, '2026-11-22', '', 'a = 1')")
        db.execute("CREATE TABLE log (id INTEGER PRIMARY KEY, pair)")
        db.executemany("INSERT INTO log (pair) VALUES (?)", [(n // 2,) for n in range(rows)])


def test_sqlite_online_backup_is_one_moment_of_a_database_being_written(tmp_path):
    live = tmp_path / "live.sqlite3"
    _a_database(live, 1000)
    stop = threading.Event()

    def write_pairs() -> None:
        with contextlib.closing(sqlite3.connect(live, timeout=20, isolation_level=None)) as db:
            while not stop.is_set():
                db.execute("BEGIN IMMEDIATE")
                db.executemany("INSERT INTO log (pair) VALUES (?)", [(-1,), (-1,)])
                db.execute("COMMIT")

    writer = threading.Thread(target=write_pairs)
    writer.start()
    try:
        folder = tmp_path / "backup"
        folder.mkdir()
        state = SQLite({"NAME": str(live)}).dump(folder)
    finally:
        stop.set()
        writer.join()
    assert state.counts["log"] % 2 == 0 and state.counts["log"] >= 1000
    assert state.migrations == {"observations": ["0001_initial", "0002_more"],
                                "alerts": ["0001_initial"]}
    assert state.strategies == [{"version": 1, "name": "s", "active": True,
                                 "created_at": "2026-11-22", "comment": "", "text": "a = 1"}]
    assert sorted(os.listdir(folder)) == ["database.sqlite3"]  # no -wal beside it
    fresh = SQLite({"NAME": str(tmp_path / "fresh" / "restored.sqlite3")})
    assert fresh.tables() == []
    fresh.create_if_missing()
    fresh.restore(folder / "database.sqlite3", replaced=[])
    assert fresh.counts(["log", "nothere"]) == {"log": state.counts["log"], "nothere": None}


def test_a_sqlite_file_that_is_not_there_is_not_backed_up(tmp_path):
    with pytest.raises(BackupError, match="no database at"):
        SQLite({"NAME": str(tmp_path / "none.sqlite3")}).dump(tmp_path)
    assert not (tmp_path / "none.sqlite3").exists()


def test_restore_refuses_a_damaged_backup_and_a_running_pyros_with_a_message(
        tmp_path, monkeypatch):
    monkeypatch.setenv("PYROS_HOME", str(tmp_path / "home"))
    folder = tmp_path / "backup"
    a_backup(folder)
    (folder / "database.sqlite3").write_bytes(b"x" * 2100)
    result = CliRunner().invoke(cli, ["restore", str(folder)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)  # no traceback
    assert "damaged or incomplete; nothing was restored" in result.output
    assert "database.sqlite3: its SHA-256 differs" in result.output
    a_backup(tmp_path / "whole")
    run = tmp_path / "home" / "run"
    run.mkdir(parents=True)
    (run / "supervisor.pid").write_text(str(os.getpid()))  # this process: alive
    result = CliRunner().invoke(cli, ["restore", str(tmp_path / "whole")])
    assert result.exit_code == 1
    assert f"PyROS is running here (supervisor pid {os.getpid()})" in result.output
    assert json.loads((tmp_path / "whole" / MANIFEST).read_text())["format"] == 1
