"""Where PyROS keeps its files.

One data directory holds the SQLite database, images, logs and run files (pid files).
It defaults to the per-user data location (``~/.local/share/pyros`` on Linux) and is
overridden by ``PYROS_HOME``. The configuration file is ``PYROS_CONFIG``, else
``unit.toml`` in the data directory, else the example shipped with the package.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_path

EXAMPLE_CONFIG = Path(__file__).parent / "config" / "example_unit.toml"


def data_dir() -> Path:
    home = os.environ.get("PYROS_HOME")
    path = Path(home).expanduser() if home else user_data_path("pyros", appauthor=False)
    return path.resolve()


def ensure_data_dirs() -> Path:
    """Create the data directory and its sub-folders; return the data directory."""
    root = data_dir()
    for sub in ("", "images", "logs", "run", "static"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    return root


def config_path() -> Path:
    """``PYROS_CONFIG``, else the data directory's ``unit.toml`` (written by ``pyros
    init``), else the example shipped with the package."""
    configured = os.environ.get("PYROS_CONFIG")
    if configured:
        return Path(configured).expanduser().resolve()
    local = data_dir() / "unit.toml"
    return local if local.exists() else EXAMPLE_CONFIG


def run_dir() -> Path:
    return data_dir() / "run"


def logs_dir() -> Path:
    return data_dir() / "logs"


def alerts_inbox() -> Path:
    """The drop folder: a VOEvent file written here (atomically: write elsewhere, then
    rename in) is read by the alert agent, then moved to ``done/`` beside it."""
    return data_dir() / "alerts" / "inbox"
