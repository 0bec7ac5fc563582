"""A zip file of archive frames, made while it is sent: neither the zip nor any file
of it is ever whole in memory or on disk.

Python's ``zipfile`` writes into a sink that cannot seek (it then puts each member's
CRC and sizes in a data descriptor after its bytes), the sink is emptied after every
1 MiB block, and what it held is yielded to the web server. Members are STORED: FITS
pixels hardly compress, and deflating would make the CPU, not the disk, set the pace.
Members the zip64 format needs (a file near 2 GiB, or past the 65,535th member or 4 GiB
of zip) get it; the rest stay plain zip for old unzippers.

The ``SHA256SUMS`` member lists the catalogue's checksum of each file, so that
``sha256sum -c SHA256SUMS`` after unzipping checks both the transfer and the archive.
"""

from __future__ import annotations

import logging
import stat
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pyros.archive.checksums import BLOCK

log = logging.getLogger(__name__)
SUMS = "SHA256SUMS"


@dataclass(frozen=True)
class Member:
    """One file of the zip: where it is, its name in the zip, the catalogue's checksum."""

    path: Path
    name: str
    sha256: str
    modified: datetime
    size: int


class _Sink:
    """A write-only, non-seekable buffer: what zipfile wrote since it was last drained.

    No ``tell``/``seek``: zipfile sees an unseekable stream and never goes back."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def write(self, data: bytes | memoryview) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        # Mostly one chunk (a block): handed on as it is, not copied once more by join.
        data = self._chunks[0] if len(self._chunks) == 1 else b"".join(self._chunks)
        self._chunks.clear()
        return data


def _info(name: str, when: datetime, size: int) -> zipfile.ZipInfo:
    stamp = max(when.timetuple()[:6], (1980, 1, 1, 0, 0, 0))  # zip's epoch
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    info.file_size = size  # lets zipfile choose zip64 for this member by itself
    return info


def _needs_zip64(size: int) -> bool:
    """zipfile's own margin: a stored member may not grow, but its sizes must fit."""
    return size * 1.05 > zipfile.ZIP64_LIMIT


def sums(members: Sequence[Member]) -> bytes:
    """The SHA256SUMS file: ``sha256sum``'s own format."""
    return "".join(f"{m.sha256}  {m.name}\n" for m in members).encode()


def zip_length(members: Sequence[Member]) -> int | None:
    """The exact length of :func:`stream_zip`'s output, so that a client can show its
    progress; None when the zip needs zip64 records (over 2 GiB), whose layout is left
    to zipfile alone.

    Each member is a local header (30 bytes and the name), the bytes, a data descriptor
    (16), and a central directory entry (46 and the name); then the end record (22).
    ``tests/archive/test_downloads.py`` checks it against the zips it receives."""
    entries = [(len(m.name.encode()), m.size) for m in members]
    entries.append((len(SUMS), len(sums(members))))
    if len(entries) >= zipfile.ZIP_FILECOUNT_LIMIT:
        return None
    total = sum(30 + name + size + 16 + 46 + name for name, size in entries) + 22
    return total if total < zipfile.ZIP64_LIMIT else None


def stream_zip(members: Sequence[Member], now: datetime) -> Iterator[bytes]:
    """The zip of ``members`` then SHA256SUMS, in pieces of about a block each.

    A file that cannot be read any more (deleted between the check and its turn) ends
    the stream with the error: the client sees a truncated zip, never a zip that
    silently lacks a file."""
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED,  # type: ignore[arg-type]
                         allowZip64=True) as archive:
        for member in members:
            info = _info(member.name, member.modified, member.size)
            written = 0
            with open(member.path, "rb", buffering=0) as source, \
                    archive.open(info, mode="w", force_zip64=_needs_zip64(member.size)) as target:
                buffer = bytearray(BLOCK)
                view = memoryview(buffer)
                while read := source.readinto(buffer):
                    target.write(view[:read])
                    written += read
                    if data := sink.drain():
                        yield data
            if written != member.size:
                log.error("%s changed size while zipped: %d bytes, catalogued %d",
                          member.path, written, member.size)
        archive.writestr(_info(SUMS, now, 0), sums(members))
    yield sink.drain()
