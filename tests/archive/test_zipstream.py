"""The streamed zip alone (no database): any name, empty and block-crossing files, its
length known before it is made, and what it holds read back by zipfile."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from pyros.archive.checksums import BLOCK
from pyros.archive.zipstream import SUMS, Member, stream_zip, zip_length

WHEN = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)


def members(tmp_path: Path, sizes: dict[str, int]) -> list[Member]:
    made = []
    for i, (name, size) in enumerate(sizes.items()):
        path = tmp_path / f"file-{i}"
        path.write_bytes(bytes([i % 256]) * size)
        made.append(Member(path, name, hashlib.sha256(path.read_bytes()).hexdigest(),
                           WHEN, size))
    return made


def test_the_zip_holds_every_file_and_its_length_is_known(tmp_path):
    chosen = members(tmp_path, {"empty.fits": 0, "é-ünïcode ☄.fits": 1,
                                "block.fits": BLOCK, "more.fits": 2 * BLOCK + 7})
    pieces = list(stream_zip(chosen, WHEN))
    data = b"".join(pieces)
    assert len(data) == zip_length(chosen)
    assert max(len(p) for p in pieces) <= BLOCK + 4096  # a block at a time, never more
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    assert archive.namelist() == [m.name for m in chosen] + [SUMS]
    for member in chosen:
        assert archive.read(member.name) == member.path.read_bytes()
        info = archive.getinfo(member.name)
        # Complete local headers (no data descriptor): the CRC was known beforehand.
        assert info.date_time == (2026, 11, 22, 4, 0, 0) and not info.flag_bits & 0x08
    assert archive.read(SUMS).decode().splitlines() == [
        f"{m.sha256}  {m.name}" for m in chosen]


def test_an_empty_selection_still_makes_a_valid_zip(tmp_path):
    data = b"".join(stream_zip([], WHEN))
    assert len(data) == zip_length([])
    assert zipfile.ZipFile(io.BytesIO(data)).namelist() == [SUMS]


def test_no_length_promised_when_zip64_is_needed(tmp_path):
    fake = Member(tmp_path / "nowhere", "huge.fits", "0" * 64, WHEN, 5 << 30)
    assert zip_length([fake]) is None
    many = [Member(tmp_path / "x", f"{i}.fits", "0" * 64, WHEN, 0) for i in range(70000)]
    assert zip_length(many) is None


def test_zip64_fields_when_sizes_and_offsets_pass_the_limit(tmp_path, monkeypatch):
    """The zip64 path without writing 4 GiB: the limit brought down to 100 bytes, so
    that sizes, offsets and the directory all need zip64; zipfile reads it back."""
    from pyros.archive import zipstream

    monkeypatch.setattr(zipstream, "LIMIT", 100)
    chosen = members(tmp_path, {"small.fits": 10, "big.fits": 300, "after.fits": 5})
    data = b"".join(stream_zip(chosen, WHEN))
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    for member in chosen:
        assert archive.read(member.name) == member.path.read_bytes()
    assert archive.getinfo("big.fits").file_size == 300
