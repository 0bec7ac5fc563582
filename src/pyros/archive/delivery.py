"""Copying archive files out (``pyros images get``): each copy checked against the
catalogue's SHA-256 while it is written, and never left half-written under its name.

The copy goes to ``NAME.part`` and is renamed only once its checksum is the
catalogue's; a short read, a disk full or a corrupt archive file leaves no ``NAME``
behind, and no ``.part`` either. The checksum is computed on the bytes written, in the
same pass as the copy: reading the file twice would double the time on a cold disk.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from pyros.archive.checksums import BLOCK


class CopyFailed(Exception):
    """A copy that is not the catalogued file (nothing was left under its name)."""


def copy_verified(source: Path, target: Path, sha256: str,
                  advance: Callable[[int], None] = lambda _: None) -> None:
    """Copy ``source`` to ``target`` if its bytes hash to ``sha256``; ``advance`` is told
    every block's size (a progress bar)."""
    partial = target.with_name(target.name + ".part")
    digest = hashlib.sha256()
    try:
        with open(source, "rb", buffering=0) as reading, open(partial, "wb") as writing:
            buffer = bytearray(BLOCK)
            view = memoryview(buffer)
            while read := reading.readinto(buffer):
                digest.update(view[:read])
                writing.write(view[:read])
                advance(read)
            writing.flush()
            os.fsync(writing.fileno())
        if digest.hexdigest() != sha256:
            raise CopyFailed(f"{source.name}: its SHA-256 is {digest.hexdigest()}, the "
                             f"catalogue's {sha256}: the archive's file is corrupt "
                             "(`pyros archive verify`)")
        partial.replace(target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise CopyFailed(f"{source.name}: {exc.strerror or exc}") from exc
    except BaseException:  # a corrupt copy, Ctrl-C: nothing half-written stays
        partial.unlink(missing_ok=True)
        raise
