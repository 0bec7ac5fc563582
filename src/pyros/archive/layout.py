"""Where each file of the archive lives: ``{unit}/{channel}/{YYYYMMDD}/{folder}/{basename}``
under the root (LCO's layout, with ``cal`` for master calibrations), and the previews
beside it in a tree of their own (they are remade at will and pruned sooner)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from pyros import paths
from pyros.config.schema import UnitConfig

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
PREVIEWS = ".previews"


class LayoutError(ValueError):
    """A path that is not where the archive keeps things."""


def archive_root(unit: UnitConfig) -> Path:
    configured = unit.archive.root
    return (Path(configured).expanduser() if configured else paths.data_dir() / "archive") \
        .resolve()


def previews_root(unit: UnitConfig) -> Path:
    return archive_root(unit) / PREVIEWS


def safe_name(text: str) -> str:
    """A path component from a unit or channel name (never ``..`` nor a separator)."""
    cleaned = _UNSAFE.sub("-", text).strip(".-") or "unnamed"
    return cleaned[:100]


def folder(unit: UnitConfig, channel: str, night: date, kind: str) -> Path:
    """The folder of ``kind`` (raw, processed, cal) for ``channel`` on ``night``."""
    if kind not in ("raw", "processed", "cal"):
        raise LayoutError(f"unknown archive folder {kind!r}")
    return (archive_root(unit) / safe_name(unit.unit) / safe_name(channel)
            / f"{night:%Y%m%d}" / kind)


def relative(unit: UnitConfig, path: Path) -> str:
    """``path`` relative to the archive root; a file outside it is refused."""
    root, resolved = archive_root(unit), Path(path).resolve()
    try:
        return resolved.relative_to(root).as_posix()
    except ValueError:
        raise LayoutError(f"{path} is not under the archive root {root}") from None


def absolute(unit: UnitConfig, relative_path: str) -> Path:
    """The file a catalogue path names; a path that would leave the root is refused."""
    root = archive_root(unit)
    path = (root / relative_path).resolve()
    if root not in path.parents:
        raise LayoutError(f"{relative_path!r} leaves the archive root")
    return path
