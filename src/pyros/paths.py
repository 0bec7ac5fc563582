"""Where PyROS keeps its files.

One data directory holds the SQLite database, images, logs and run files (pid files).
It defaults to the per-user data location (``~/.local/share/pyros`` on Linux) and is
overridden by ``PYROS_HOME``. The configuration file is ``PYROS_CONFIG``, else
``unit.toml`` in the data directory, else the example shipped with the package.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from platformdirs import user_data_path

EXAMPLE_CONFIG = Path(__file__).parent / "config" / "example_unit.toml"


def data_dir() -> Path:
    home = os.environ.get("PYROS_HOME")
    path = Path(home).expanduser() if home else user_data_path("pyros", appauthor=False)
    return path.resolve()


#: The data directory holds the database, the secret key and the images: its owner only.
PRIVATE_DIR_MODE = 0o700
#: The SQLite database and the secret key file: readable and writable by their owner only.
PRIVATE_FILE_MODE = 0o600


def ensure_data_dirs() -> Path:
    """Create the data directory (mode 0700) and its sub-folders; return the data
    directory. A data directory made by an older PyROS (0755) is closed at once: its
    mode, not the sub-folders', is what keeps other local users out."""
    root = data_dir()
    root.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    if root.stat().st_mode & 0o777 != PRIVATE_DIR_MODE:
        root.chmod(PRIVATE_DIR_MODE)
    for sub in ("images", "logs", "run", "static"):
        (root / sub).mkdir(mode=PRIVATE_DIR_MODE, exist_ok=True)
    return root


def private_file(path: Path) -> Path:
    """Make ``path`` a file only its owner may read or write: created empty with mode
    0600 when missing (never a moment with a wider mode), its mode set when it exists.
    SQLite gives its ``-wal`` and ``-shm`` files the database file's mode."""
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, PRIVATE_FILE_MODE)
    try:
        if os.fstat(fd).st_mode & 0o777 != PRIVATE_FILE_MODE:
            os.fchmod(fd, PRIVATE_FILE_MODE)
    finally:
        os.close(fd)
    return path


#: The marker of a sandbox data directory: a file of this name in it, written by
#: whoever creates the sandbox (``pyros demo``, a test, a benchmark).
SANDBOX_MARKER = "sandbox"


def mark_sandbox(directory: Path) -> Path:
    """Mark ``directory`` (created if needed) as a sandbox data directory: its database
    and requests are disposable, so ``pyros start --sim-time`` may write a simulated
    night into it without ``--on-real-data``. Returns the marker file."""
    directory = Path(directory).expanduser()
    directory.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    marker = directory / SANDBOX_MARKER
    marker.write_text("This PyROS data directory is a sandbox: its data may be thrown away.\n")
    return marker


def is_sandbox(directory: Path | None = None) -> bool:
    """Whether ``directory`` (by default the data directory, ``PYROS_HOME``) holds the
    sandbox marker written by :func:`mark_sandbox`."""
    return ((directory or data_dir()) / SANDBOX_MARKER).is_file()


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


def image_file(folder: Path, moment: datetime, tail: str, copy_mark: str = "-") -> Path:
    """``<folder>/<UTC stamp to the millisecond>_<tail>.fits``, never the name of an
    existing file nor of one being written (``.part``): the first free of ``…_<tail>``,
    ``…_<tail><copy_mark>2``, ``…3``…"""
    utc = moment.astimezone(UTC)
    stem = f"{utc:%Y%m%dT%H%M%S}.{utc.microsecond // 1000:03d}Z_{tail}"
    path, copy = folder / f"{stem}.fits", 1
    while path.exists() or path.with_name(path.name + ".part").exists():
        copy += 1
        path = folder / f"{stem}{copy_mark}{copy}.fits"
    return path
