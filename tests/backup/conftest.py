"""Backups are made and restored by the `pyros` command, a process of its own, on the
test database; the restored copy goes to a second database of the same vendor (for
SQLite, a new file), dropped after the test."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.agents.conftest import database_url


def run_pyros(env: dict[str, str], *args: str, ok: bool = True,
              timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m pyros.cli ARGS`` in ``env``; with ``ok``, it must succeed."""
    done = subprocess.run([sys.executable, "-m", "pyros.cli", *args], env=env, text=True,
                          capture_output=True, timeout=timeout, check=False)
    if ok:
        assert done.returncode == 0, f"pyros {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    return done


def _environment(home: Path, url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYROS_CONFIG", "PYROS_SECRET_KEY")}
    env.update(DATABASE_URL=url, PYROS_HOME=str(home))
    home.mkdir(parents=True, exist_ok=True)
    return env


@pytest.fixture
def source_env(transactional_db, tmp_path) -> dict[str, str]:
    """The `pyros` command of the machine being backed up: the test database (whose
    writes must be committed to be seen: transactional_db) and a data directory."""
    return _environment(tmp_path / "source", database_url())


def _drop_server_database(name: str) -> None:
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        import psycopg

        params = {key: value for key, value in {
            "host": settings["HOST"], "port": settings["PORT"], "user": settings["USER"],
            "password": settings["PASSWORD"], "dbname": "postgres"}.items() if value}
        with contextlib.closing(psycopg.connect(**params, autocommit=True)) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    elif connection.vendor == "mysql":
        import MySQLdb

        params = {key: value for key, value in {
            "host": settings["HOST"], "port": int(settings["PORT"] or 0),
            "user": settings["USER"], "password": settings["PASSWORD"]}.items() if value}
        with contextlib.closing(MySQLdb.connect(**params)) as admin:
            admin.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")


@pytest.fixture
def target_env(source_env, tmp_path) -> dict[str, str]:
    """The `pyros` command of a fresh machine: its own data directory and a database
    that does not exist yet (`pyros restore` creates it)."""
    home = tmp_path / "fresh"
    if connection.vendor == "sqlite":
        yield _environment(home, f"sqlite:///{home / 'pyros.sqlite3'}")
        return
    name = f"{connection.settings_dict['NAME']}_restored"
    _drop_server_database(name)
    source_url = database_url()
    try:
        yield _environment(home, source_url[:source_url.rindex("/") + 1] + name)
    finally:
        _drop_server_database(name)
