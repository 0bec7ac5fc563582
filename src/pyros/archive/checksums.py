"""SHA-256 of archive files, read in large blocks (the disk, not Python, sets the pace:
`pyros bench archive` compares it with ``sha256sum``)."""

from __future__ import annotations

import hashlib
import zlib
from pathlib import Path

BLOCK = 1 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb", buffering=0) as handle:
        buffer = bytearray(BLOCK)
        view = memoryview(buffer)
        while read := handle.readinto(buffer):
            digest.update(view[:read])
    return digest.hexdigest()


def file_digests(path: Path) -> tuple[str, int]:
    """SHA-256 and CRC-32 in one read: the catalogue keeps both, the zip download uses
    the CRC so that it streams each file without reading it twice."""
    digest, crc = hashlib.sha256(), 0
    with open(path, "rb", buffering=0) as handle:
        buffer = bytearray(BLOCK)
        view = memoryview(buffer)
        while read := handle.readinto(buffer):
            digest.update(view[:read])
            crc = zlib.crc32(view[:read], crc)
    return digest.hexdigest(), crc


def crc32_file(path: Path) -> int:
    crc = 0
    with open(path, "rb", buffering=0) as handle:
        while block := handle.read(BLOCK):
            crc = zlib.crc32(block, crc)
    return crc
