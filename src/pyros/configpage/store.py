"""Saving the unit configuration: validated with the schema of ``pyros config check``,
written atomically, every version kept. The only place that writes the unit file."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import Max

from pyros import clock, paths
from pyros.config.editing import Problem, check_text, unmask_secrets
from pyros.config.schema import UnitConfig
from pyros.configpage.models import ConfigVersion

FOUND_COMMENT = "found on disk: edited outside the Configuration page"


class SaveRefused(Exception):
    """Nothing was written; ``problems`` says why (each with its key and line)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Target:
    """Where a save goes: the file in use, except the example shipped with the package,
    which is never edited: the data directory's unit.toml is written instead (and is
    then the file in use, see paths.config_path)."""

    path: Path
    instead_of_example: bool


def target() -> Target:
    path = paths.config_path()
    if path.resolve() == paths.EXAMPLE_CONFIG.resolve():
        return Target(paths.data_dir() / "unit.toml", True)
    return Target(path, False)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def current_text() -> str:
    """The configuration file in use as it is on disk now ("" if it cannot be read)."""
    try:
        return paths.config_path().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def normalise(text: str) -> str:
    """A browser's textarea sends CRLF: the file keeps the LF it had."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text if text.endswith("\n") or not text else text + "\n"


def write_atomically(path: Path, text: str) -> None:
    """Write beside, flush to disk, then rename over: a reader (an agent starting) sees
    the old file or the new one, never half of one. A new file is private (0600): it
    may hold the database's password."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _next_number() -> int:
    return (ConfigVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1


def record_found(text: str, path: Path) -> ConfigVersion | None:
    """Keep the file as found when no version has it yet (the first visit, or a hand
    edit since the last save), so that every diff starts from what really ran."""
    latest = ConfigVersion.objects.order_by("-number").first()
    if not text or (latest is not None and latest.text == text):
        return None
    return ConfigVersion.objects.create(number=_next_number(), text=text, author=None,
                                        saved_at=clock.now(), comment=FOUND_COMMENT,
                                        path=str(path))


def check(submitted: str) -> tuple[str, UnitConfig]:
    """The text that would be written (secrets shown masked put back) and the
    configuration it describes; SaveRefused with every problem otherwise."""
    text = unmask_secrets(normalise(submitted), current_text())
    unit, problems = check_text(text)
    if problems or unit is None:
        raise SaveRefused(problems)
    return text, unit


def save(submitted: str, *, user: object, comment: str = "",
         base_digest: str = "") -> tuple[ConfigVersion, Target]:
    """Validate, record and write the new version; nothing written when refused.

    ``base_digest`` is the digest of the file the editor started from: if the file
    changed since (another operator, a hand edit), the save is refused rather than
    silently undoing that change."""
    text, _ = check(submitted)
    on_disk = current_text()
    if base_digest and base_digest != digest(on_disk):
        raise SaveRefused([Problem("(file)", "the configuration file changed since this "
                                             "page was opened: reload the page, then edit")])
    if text == on_disk:
        raise SaveRefused([Problem("(file)", "no change: the text is the file as it is")])
    where = target()
    try:
        with transaction.atomic():
            record_found(on_disk, paths.config_path())
            version = ConfigVersion.objects.create(
                number=_next_number(), text=text, author=user, saved_at=clock.now(),
                comment=comment[:500], path=str(where.path))
            write_atomically(where.path, text)
    except IntegrityError as exc:  # another save took the number at the same instant
        raise SaveRefused([Problem("(file)", "another version was saved at the same "
                                             "time: reload the page")]) from exc
    except OSError as exc:
        raise SaveRefused([Problem("(file)", f"cannot write {where.path}: "
                                             f"{exc.strerror or exc}")]) from exc
    return version, where
