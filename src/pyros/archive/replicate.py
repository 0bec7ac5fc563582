"""A second copy of the archive (`pyros archive replicate`): every catalogued file copied
to the replica root (another disk, a NAS mount) under the same relative path.

- A copy is written as ``<name>.part`` and renamed into place only once complete,
  flushed and checked, so a replica never holds a half file under a real name (and
  ``verify`` on the replica ignores the ``.part`` files, as on the archive).
- The source is hashed while it is copied: a source that no longer matches its
  catalogue row is not spread to the replica (``verify`` says why).
- The copy is then read back and hashed, after ``fsync`` and after asking the kernel to
  drop the file's pages, so the check reads what the disk (or the NAS) holds rather than
  the page cache that was just written.
- A file already in the replica with the catalogue's size and SHA-256 is skipped; any
  other is copied again. Checking a present file costs a read of it: a replica is only
  known good if it is read.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pyros.archive import layout
from pyros.archive.checksums import BLOCK, sha256_file
from pyros.archive.models import ArchiveFrame
from pyros.config.schema import UnitConfig


class ReplicaError(ValueError):
    """No replica to copy to: said to the operator as it is."""


@dataclass
class ReplicateReport:
    target: str
    copied: int = 0
    skipped: int = 0
    failed: list[str] = field(default_factory=list)  # "path: why"
    bytes: int = 0  # copied
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed


def replica_root(unit: UnitConfig, to: str | Path | None = None) -> Path:
    """``to`` when given, else ``[archive] replica``; never the archive itself."""
    chosen = str(to) if to else unit.archive.replica
    if not chosen:
        raise ReplicaError("no replica configured: set [archive] replica in the unit "
                           "configuration, or give --to DIR")
    root = Path(chosen).expanduser().resolve()
    archive = layout.archive_root(unit)
    if root == archive or archive in root.parents or root in archive.parents:
        raise ReplicaError(f"the replica {root} overlaps the archive root {archive}")
    return root


def replicate(unit: UnitConfig, target: Path,
              progress: Callable[[int], None] | None = None) -> ReplicateReport:
    """Copy what the replica lacks or holds wrong; ``progress`` gets each file's bytes."""
    report = ReplicateReport(str(target))
    started = time.perf_counter()
    rows = ArchiveFrame.objects.order_by("path").values_list("path", "size", "sha256")
    for relative, size, sha256 in rows.iterator(chunk_size=2000):
        try:
            copied = _one(unit, target, relative, size, sha256)
        except (OSError, layout.LayoutError, CopyError) as exc:
            report.failed.append(f"{relative}: {exc}")
        else:
            if copied:
                report.copied += 1
                report.bytes += size
            else:
                report.skipped += 1
        if progress is not None:
            progress(size)
    report.seconds = time.perf_counter() - started
    return report


class CopyError(Exception):
    """A copy that did not come out as the catalogue says."""


def _one(unit: UnitConfig, target: Path, relative: str, size: int, sha256: str) -> bool:
    """Make the replica's copy right; True when it had to be copied."""
    source = layout.absolute(unit, relative)
    destination = (target / relative).resolve()
    if target not in destination.parents:
        raise CopyError(f"{relative!r} leaves the replica root")
    if _matches(destination, size, sha256):
        return False
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".part")
    try:
        read = _copy(source, partial)
        if read != sha256:
            raise CopyError(f"the source's SHA-256 is {read[:16]}…, catalogued "
                            f"{sha256[:16]}… (run pyros archive verify)")
        written = _reread(partial)
        if written != sha256:
            raise CopyError(f"the copy reads back as {written[:16]}…, not {sha256[:16]}…")
        os.replace(partial, destination)
        _sync_folder(destination.parent)
    finally:
        partial.unlink(missing_ok=True)
    return True


def _matches(path: Path, size: int, sha256: str) -> bool:
    try:
        return path.stat().st_size == size and sha256_file(path) == sha256
    except OSError:
        return False


def _copy(source: Path, destination: Path) -> str:
    """Copy ``source`` to ``destination`` (flushed to the disk); the source's SHA-256."""
    digest = hashlib.sha256()
    buffer = bytearray(BLOCK)
    view = memoryview(buffer)
    with open(source, "rb", buffering=0) as reader, open(destination, "wb") as writer:
        while read := reader.readinto(buffer):
            digest.update(view[:read])
            writer.write(view[:read])
        writer.flush()
        os.fsync(writer.fileno())
    return digest.hexdigest()


def _reread(path: Path) -> str:
    """The SHA-256 of what the disk holds: the pages just written dropped first."""
    with open(path, "rb") as handle:
        if hasattr(os, "posix_fadvise"):
            os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
    return sha256_file(path)


def _sync_folder(folder: Path) -> None:
    """Make the rename durable (a crash after it keeps the file under its name)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
