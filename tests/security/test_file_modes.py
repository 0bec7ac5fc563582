"""The data directory is its owner's only: 0700, the SQLite database and the secret key
0600, whether PyROS creates them or finds them left wider by an older version."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from pyros import paths


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _load_settings(home: Path) -> None:
    """Import the settings in a fresh process, as any PyROS process does at start."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "PYROS_SECRET_KEY", "PYROS_CONFIG")}
    env["PYROS_HOME"] = str(home)
    subprocess.run([sys.executable, "-c", "import pyros.config.settings"], env=env,
                   check=True, timeout=120)


def test_a_new_data_directory_is_private(tmp_path):
    home = tmp_path / "new-home"
    _load_settings(home)
    assert _mode(home) == 0o700
    assert _mode(home / "secret_key") == 0o600
    assert _mode(home / "pyros.sqlite3") == 0o600
    assert len((home / "secret_key").read_text().strip()) >= 50


def test_an_existing_wide_data_directory_is_closed_at_start(tmp_path):
    home = tmp_path / "old-home"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    (home / "secret_key").write_text("an-old-secret-key-kept-as-it-was")
    (home / "pyros.sqlite3").write_bytes(b"")
    for name in ("secret_key", "pyros.sqlite3"):
        (home / name).chmod(0o644)
    _load_settings(home)
    assert _mode(home) == 0o700
    assert _mode(home / "secret_key") == 0o600
    assert _mode(home / "pyros.sqlite3") == 0o600
    assert (home / "secret_key").read_text() == "an-old-secret-key-kept-as-it-was"


def test_private_file_keeps_the_content(tmp_path):
    target = tmp_path / "file"
    target.write_text("kept")
    target.chmod(0o666)
    paths.private_file(target)
    assert _mode(target) == 0o600
    assert target.read_text() == "kept"


def test_sub_folders_are_made_inside_the_private_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("PYROS_HOME", str(tmp_path / "home"))
    root = paths.ensure_data_dirs()
    assert _mode(root) == 0o700
    assert all((root / sub).is_dir() for sub in ("images", "logs", "run", "static"))
