"""The manifest of a backup folder: what it holds, and how to tell it is whole.

Plain Python (no Django), so that checking a backup needs nothing but the folder. The
manifest lists every file with its size and SHA-256: a restore reads it first and
refuses the folder if a file is missing, altered, or not where the manifest says, before
anything on the machine is changed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

#: Bumped when the layout changes in a way an older ``pyros restore`` cannot read.
FORMAT = 1
MANIFEST = "manifest.json"
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Manifest:
    """What ``manifest.json`` says. ``files`` maps each path (relative, POSIX) to its
    ``{"size", "sha256"}``; ``counts`` maps each table to its rows; ``counts_exact``
    says whether they were read in the dump's own snapshot (so a restore can insist on
    them) or just before it (MariaDB, whose dump tool takes a snapshot of its own)."""

    pyros_version: str
    created: str
    database: dict[str, Any]
    migrations: dict[str, list[str]]
    counts: dict[str, int]
    counts_exact: bool
    configuration: dict[str, Any] = field(default_factory=dict)
    strategies: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    format: int = FORMAT

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str = MANIFEST) -> Manifest:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise BackupError(f"{source} is not valid JSON ({exc}): the backup is damaged") \
                from exc
        if not isinstance(data, dict):
            raise BackupError(f"{source} is not a PyROS backup manifest")
        if data.get("format") != FORMAT:
            raise BackupError(f"{source} has format {data.get('format')!r}; this PyROS reads "
                              f"format {FORMAT} (restore it with the PyROS that made it)")
        required = ("pyros_version", "created", "database", "migrations", "counts",
                    "counts_exact", "files")
        missing = [key for key in required if key not in data]
        if missing:
            raise BackupError(f"{source} lacks {', '.join(missing)}: the backup is damaged")
        known = set(cls.__dataclass_fields__)
        return cls(**{key: value for key, value in data.items() if key in known})

    def add_file(self, root: Path, relative: str) -> None:
        path = root / relative
        self.files[relative] = {"size": path.stat().st_size, "sha256": sha256_of(path)}

    def total_size(self) -> int:
        return sum(int(entry["size"]) for entry in self.files.values())


def safe_relative(name: str) -> PurePosixPath:
    """A manifest's file name as a path inside the backup folder, never outside it (an
    edited manifest must not make a restore read ``/etc/passwd`` or ``../../x``)."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(f"the manifest names a file outside the backup: {name!r}")
    return path


def read_manifest(folder: Path) -> Manifest:
    """The manifest of ``folder``, its files checked against their sizes and SHA-256.
    Raises BackupError naming every problem."""
    if not folder.is_dir():
        raise BackupError(f"{folder}: no such backup folder")
    path = folder / MANIFEST
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise BackupError(f"{folder} holds no {MANIFEST}: not a PyROS backup, or one that "
                          "did not finish") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise BackupError(f"cannot read {path}: {exc}") from exc
    manifest = Manifest.from_json(text, str(path))
    problems = verify_files(folder, manifest)
    if problems:
        raise BackupError(f"{folder} is damaged or incomplete; nothing was restored:\n  "
                          + "\n  ".join(problems))
    return manifest


def verify_files(folder: Path, manifest: Manifest) -> list[str]:
    """One line per file that is missing or differs from the manifest."""
    problems = []
    database_file = manifest.database.get("file")
    if database_file and database_file not in manifest.files:
        problems.append(f"{database_file}: the database dump is not listed in the manifest")
    for name, entry in sorted(manifest.files.items()):
        try:
            path = folder / safe_relative(name)
        except BackupError as exc:
            problems.append(str(exc))
            continue
        if not path.is_file():
            problems.append(f"{name}: missing")
            continue
        size = path.stat().st_size
        if size != entry.get("size"):
            problems.append(f"{name}: {size} bytes, the manifest says {entry.get('size')}")
        elif sha256_of(path) != entry.get("sha256"):
            problems.append(f"{name}: its SHA-256 differs from the manifest's (altered)")
    return problems


def count_differences(expected: dict[str, int], found: dict[str, int | None]) -> list[str]:
    """Tables whose rows after a restore are not the manifest's, one line each."""
    lines = []
    for table, rows in sorted(expected.items()):
        got = found.get(table)
        if got != rows:
            lines.append(f"{table}: {'no such table' if got is None else got} rows, "
                         f"the backup had {rows}")
    return lines


def unknown_migrations(saved: dict[str, list[str]], known: set[tuple[str, str]]) -> list[str]:
    """Migrations the backup's database had that this PyROS does not know: a backup
    from a newer PyROS, which migrating could not bring back down."""
    return sorted(f"{app}.{name}" for app, names in saved.items() for name in names
                  if (app, name) not in known)
