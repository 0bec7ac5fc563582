"""A zip file of archive frames, made while it is sent: neither the zip nor any file
of it is ever whole in memory or on disk.

Each member's CRC-32 and size are known before its bytes (the catalogue keeps the CRC
it computed with the SHA-256 at ingest; a row from before that has it computed first),
so each local header is complete and the file's blocks go out as they are read: one
copy per block, no checksum on the way, no data descriptor. Python's ``zipfile``
would checksum every byte again and copy each block twice more, which made the
download half as fast as ``cp`` (`pyros bench archive` measures it). Members are
STORED: FITS pixels hardly compress, and deflating would make the CPU, not the disk,
set the pace. A member that needs zip64 (a file of 4 GiB, an offset past 4 GiB) gets
its extra field, and the zip its zip64 end records when it needs them; the rest is
plain zip for old unzippers.

The ``SHA256SUMS`` member lists the catalogue's checksum of each file, so that
``sha256sum -c SHA256SUMS`` after unzipping checks both the transfer and the archive.
"""

from __future__ import annotations

import logging
import stat
import struct
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pyros.archive.checksums import BLOCK, crc32_file

log = logging.getLogger(__name__)
SUMS = "SHA256SUMS"
SENTINEL = 0xFFFFFFFF  # "see the zip64 field" in a 32-bit field
LIMIT = SENTINEL  # sizes and offsets from this on go in zip64 fields
MAX_PLAIN_ENTRIES = 0xFFFF
UTF8_NAMES = 0x0800  # general purpose flag: names are UTF-8
EXTERNAL = (stat.S_IFREG | 0o644) << 16  # a plain file, rw-r--r--, for unzip on Unix
MADE_BY = (3 << 8) | 45  # Unix, zip 4.5


@dataclass(frozen=True)
class Member:
    """One file of the zip: where it is, its name in the zip, the catalogue's checksums."""

    path: Path
    name: str
    sha256: str
    modified: datetime
    size: int
    crc32: int | None = None


class FileChanged(OSError):
    """A file that is not the size it was when the zip's headers were written."""


def sums(members: Sequence[Member]) -> bytes:
    """The SHA256SUMS file: ``sha256sum``'s own format."""
    return "".join(f"{m.sha256}  {m.name}\n" for m in members).encode()


def _dos_time(when: datetime) -> tuple[int, int]:
    year, month, day, hour, minute, second = max(when.timetuple()[:6], (1980, 1, 1, 0, 0, 0))
    return (hour << 11) | (minute << 5) | (second // 2), \
        ((year - 1980) << 9) | (month << 5) | day


def _local_header(name: bytes, when: datetime, crc: int, size: int) -> bytes:
    big = size >= LIMIT
    extra = struct.pack("<HHQQ", 1, 16, size, size) if big else b""
    time, date = _dos_time(when)
    shown = SENTINEL if big else size
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, 45 if big else 20, UTF8_NAMES, 0, time,
                       date, crc, shown, shown, len(name), len(extra)) + name + extra


def _central_entry(name: bytes, when: datetime, crc: int, size: int, offset: int) -> bytes:
    values = [v for v in (size, size) if v >= LIMIT]
    values = [size, size] if values else []
    if offset >= LIMIT:
        values.append(offset)
    extra = struct.pack(f"<HH{len(values)}Q", 1, 8 * len(values), *values) if values else b""
    time, date = _dos_time(when)
    shown = SENTINEL if size >= LIMIT else size
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, MADE_BY, 45 if extra else 20,
                       UTF8_NAMES, 0, time, date, crc, shown, shown, len(name), len(extra), 0,
                       0, 0, EXTERNAL, SENTINEL if offset >= LIMIT else offset) + name + extra


def _end(entries: int, directory_size: int, directory_offset: int) -> bytes:
    zip64 = entries >= MAX_PLAIN_ENTRIES or directory_size >= LIMIT \
        or directory_offset >= LIMIT
    tail = b""
    if zip64:
        record_offset = directory_offset + directory_size
        tail = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, MADE_BY, 45, 0, 0, entries, entries,
                           directory_size, directory_offset)
        tail += struct.pack("<IIQI", 0x07064B50, 0, record_offset, 1)
    count = min(entries, MAX_PLAIN_ENTRIES)
    return tail + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count,
                              SENTINEL if directory_size >= LIMIT else directory_size,
                              SENTINEL if directory_offset >= LIMIT else directory_offset, 0)


def zip_length(members: Sequence[Member]) -> int | None:
    """The exact length of :func:`stream_zip`'s output, so that a client can show its
    progress; None when the zip needs zip64 records (kept simple: no length promised).
    ``tests/archive/test_zipstream.py`` checks it against the zips made."""
    entries = [(len(m.name.encode()), m.size) for m in members]
    entries.append((len(SUMS), len(sums(members))))
    if len(entries) >= MAX_PLAIN_ENTRIES:
        return None
    total = sum(30 + name + size + 46 + name for name, size in entries) + 22
    return total if total < LIMIT else None


def stream_zip(members: Sequence[Member], now: datetime) -> Iterator[bytes]:
    """The zip of ``members`` then SHA256SUMS, in pieces of a block at most.

    A file that cannot be read any more (deleted between the check and its turn), or
    whose size changed, ends the stream with the error: the client sees a truncated
    zip, never a zip that silently lacks a file or holds a wrong one."""
    directory: list[bytes] = []
    offset = 0
    for member in members:
        name = member.name.encode()
        crc = member.crc32 if member.crc32 is not None else crc32_file(member.path)
        header = _local_header(name, member.modified, crc, member.size)
        directory.append(_central_entry(name, member.modified, crc, member.size, offset))
        yield header
        sent = 0
        with open(member.path, "rb", buffering=0) as source:
            while sent < member.size and (block := source.read(min(BLOCK, member.size - sent))):
                sent += len(block)
                yield block
        if sent != member.size or member.path.stat().st_size != member.size:
            log.error("%s changed while zipped: %d bytes, expected %d", member.path,
                      member.path.stat().st_size, member.size)
            raise FileChanged(f"{member.path.name} changed size while it was zipped")
        offset += len(header) + member.size
    listing = sums(members)
    name = SUMS.encode()
    header = _local_header(name, now, zlib.crc32(listing), len(listing))
    directory.append(_central_entry(name, now, zlib.crc32(listing), len(listing), offset))
    yield header + listing
    offset += len(header) + len(listing)
    central = b"".join(directory)
    yield central + _end(len(directory), len(central), offset)
