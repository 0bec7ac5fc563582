"""Checking the archive against its catalogue (`pyros archive verify`).

Every catalogued file is read again and its SHA-256 compared with the row's: a file
gone is MISSING, a file whose size or checksum differs is CORRUPT, and a file under the
unit's tree that no row names is an ORPHAN (a crash between a prune's commit and its
unlink, an ingest that failed, a file copied in by hand). Files still being written
(``.part``) and the previews' tree (remade at will, never catalogued) are not orphans.

The intact files get ``verified_at``: the catalogue then says when each file was last
known good, which is what an auditor of a long-term archive asks. The size is compared
before hashing, so a truncated file costs a ``stat``, not a read.

The disk sets the pace (one file at a time, 1 MiB blocks through ``sha256_file``);
``pyros bench archive`` compares the rate with ``sha256sum`` on the same files, so the
report carries the bytes read and the seconds spent.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path

from pyros import clock
from pyros.archive import layout
from pyros.archive.checksums import sha256_file
from pyros.archive.models import ArchiveFrame
from pyros.config.schema import UnitConfig

#: Rows whose ``verified_at`` is written in one UPDATE.
BATCH = 500
PARTIAL = ".part"


class ProblemKind(StrEnum):
    MISSING = "MISSING"  # a row, no file
    CORRUPT = "CORRUPT"  # the size or the SHA-256 differs from the row's
    ORPHAN = "ORPHAN"  # a file, no row


@dataclass(frozen=True)
class Problem:
    kind: ProblemKind
    path: str  # relative to the archive root
    detail: str
    frame_id: int | None = None


@dataclass
class VerifyReport:
    """What a verification found; the benchmark reads ``bytes`` and ``seconds``."""

    scope: str  # "all" or the night's date
    files: int = 0  # catalogued files checked
    intact: int = 0
    bytes: int = 0  # bytes read and hashed
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def mb_per_s(self) -> float:
        return self.bytes / 1e6 / self.seconds if self.seconds > 0 else 0.0

    def count(self, kind: ProblemKind) -> int:
        return sum(1 for problem in self.problems if problem.kind == kind)

    def as_dict(self) -> dict:
        return {"scope": self.scope, "ok": self.ok, "files": self.files,
                "intact": self.intact, "bytes": self.bytes,
                "seconds": round(self.seconds, 3), "mb_per_s": round(self.mb_per_s, 1),
                "missing": self.count(ProblemKind.MISSING),
                "corrupt": self.count(ProblemKind.CORRUPT),
                "orphans": self.count(ProblemKind.ORPHAN),
                "problems": [{**asdict(p), "kind": p.kind.value} for p in self.problems]}


def catalogued(night: date | None = None):
    """The rows a verification covers: one night's, or the whole catalogue."""
    rows = ArchiveFrame.objects.all()
    if night is not None:
        rows = rows.filter(night=night)
    return rows.order_by("path")


def planned_bytes(night: date | None = None) -> int:
    """What a verification will read at most (the progress bar's total)."""
    from django.db.models import Sum

    return catalogued(night).aggregate(total=Sum("size"))["total"] or 0


def verify(unit: UnitConfig, *, night: date | None = None,
           progress: Callable[[int], None] | None = None,
           now: datetime | None = None) -> VerifyReport:
    """Check every catalogued file of ``night`` (all when None) and look for orphans in
    the same part of the tree. ``progress`` is called with the bytes of each file done."""
    report = VerifyReport(scope=night.isoformat() if night else "all")
    started = time.perf_counter()
    now = now or clock.now()
    intact: list[int] = []
    known: set[str] = set()
    rows = catalogued(night).values_list("id", "path", "size", "sha256")
    for frame_id, relative, size, sha256 in rows.iterator(chunk_size=2000):
        known.add(relative)
        report.files += 1
        problem, read = _check(unit, frame_id, relative, size, sha256)
        report.bytes += read
        if problem is None:
            report.intact += 1
            intact.append(frame_id)
            if len(intact) >= BATCH:
                _mark_verified(intact, now)
        else:
            report.problems.append(problem)
        if progress is not None:
            progress(size)
    _mark_verified(intact, now)
    report.problems += [Problem(ProblemKind.ORPHAN, relative, "no catalogue row")
                        for relative in _files(unit, night) if relative not in known]
    report.seconds = time.perf_counter() - started
    return report


def _check(unit: UnitConfig, frame_id: int, relative: str, size: int,
           sha256: str) -> tuple[Problem | None, int]:
    """(the problem or None, bytes read) for one row."""
    try:
        path = layout.absolute(unit, relative)
    except layout.LayoutError as exc:
        return Problem(ProblemKind.MISSING, relative, str(exc), frame_id), 0
    try:
        actual = path.stat().st_size
    except FileNotFoundError:
        return Problem(ProblemKind.MISSING, relative, "no file", frame_id), 0
    except OSError as exc:
        return Problem(ProblemKind.MISSING, relative, f"unreadable: {exc}", frame_id), 0
    if actual != size:
        return Problem(ProblemKind.CORRUPT, relative,
                       f"size {actual} bytes, catalogued {size}", frame_id), 0
    try:
        digest = sha256_file(path)
    except OSError as exc:
        return Problem(ProblemKind.CORRUPT, relative, f"unreadable: {exc}", frame_id), 0
    if digest != sha256:
        return Problem(ProblemKind.CORRUPT, relative,
                       f"SHA-256 {digest[:16]}…, catalogued {sha256[:16]}…", frame_id), size
    return None, size


def _mark_verified(ids: list[int], now: datetime) -> None:
    if ids:
        ArchiveFrame.objects.filter(pk__in=ids).update(verified_at=now)
        ids.clear()


def _files(unit: UnitConfig, night: date | None) -> Iterator[str]:
    """Every file of the unit's tree (of one night's folders with ``night``), relative
    to the root, sorted; ``.part`` files left out. The previews' tree is beside the
    units' trees (``{root}/.previews``), so it is never walked."""
    root = layout.archive_root(unit)
    top = root / layout.safe_name(unit.unit)
    # One night: {unit}/{channel}/{YYYYMMDD} of every channel.
    tops = [top] if night is None else sorted(p / f"{night:%Y%m%d}" for p in _subfolders(top))
    found: list[str] = []
    for folder in tops:
        for directory, _, names in os.walk(folder):
            for name in names:
                if name.endswith(PARTIAL):
                    continue
                found.append(Path(directory, name).relative_to(root).as_posix())
    yield from sorted(found)


def _subfolders(folder: Path) -> list[Path]:
    try:
        return [p for p in folder.iterdir() if p.is_dir()]
    except FileNotFoundError:
        return []
