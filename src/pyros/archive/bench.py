"""``pyros bench archive``: the archive's figures on this machine, in a sandbox.

Each part runs in a child process of its own (``python -m pyros.archive.bench PART``)
with a scratch data directory and a scratch database (a SQLite file, or a database
created for the run on the PostgreSQL server and dropped after): the user's data and
database are never touched, and each database is measured with the same code.

- ``files``: ingest of 2048² frames (checksum, headers, previews, the row), then
  ``verify``'s throughput against ``sha256sum`` and the zip download's against ``cp``
  on the same files (each timed on a warm page cache, as the second of two passes).
- ``search``: a million synthetic catalogue rows over the sky and three years, then
  cone searches with filters (p50, p99) as the API runs them.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

SEARCHES = 100
FILTERS = ("U", "B", "V", "R", "I", "g", "r", "i", "z", "Clear")


# --- the parent: sandboxes and children ------------------------------------------------------


def run_archive_bench(rows: int, frames: int, postgres_url: str | None,
                      progress: Callable[[str], None]) -> dict[str, Any]:
    report: dict[str, Any] = {"rows": rows, "frames": frames}
    with tempfile.TemporaryDirectory(prefix="pyros-bench-archive-") as scratch:
        root = Path(scratch)
        progress(f"ingesting {frames} frames of 2048² (SQLite sandbox)…")
        report["files"] = _child("files", root / "files", f"sqlite:///{root}/files.sqlite3",
                                 {"frames": frames})
        progress(f"searching {rows:,} rows on SQLite…")
        report["sqlite"] = _child("search", root / "sqlite",
                                  f"sqlite:///{root}/search.sqlite3", {"rows": rows})
        if postgres_url:
            progress(f"searching {rows:,} rows on PostgreSQL…")
            with _scratch_postgres(postgres_url) as url:
                report["postgresql"] = _child("search", root / "postgresql", url,
                                              {"rows": rows})
    return report


def _child(part: str, home: Path, url: str, options: dict[str, int]) -> dict[str, Any]:
    home.mkdir(parents=True)
    env = {**os.environ, "PYROS_HOME": str(home), "DATABASE_URL": url}
    env.pop("PYROS_CONFIG", None)
    done = subprocess.run([sys.executable, "-m", "pyros.archive.bench", part,
                           json.dumps(options)], env=env, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the {part} benchmark failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


class _scratch_postgres:
    """A database of its own on the server ``url`` names, dropped at the end."""

    def __init__(self, url: str) -> None:
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(url)
        self.name = f"pyros_bench_archive_{os.getpid()}"
        self.admin = urlunsplit(parts._replace(path="/postgres"))
        self.url = urlunsplit(parts._replace(path=f"/{self.name}"))

    def _run(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin, autocommit=True) as connection:
            connection.execute(sql)

    def __enter__(self) -> str:
        self._run(f'DROP DATABASE IF EXISTS "{self.name}"')
        self._run(f'CREATE DATABASE "{self.name}"')
        return self.url

    def __exit__(self, *_exc: object) -> None:
        self._run(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


# --- the children --------------------------------------------------------------------------


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pyros.config.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def synthetic_frame(path: Path, seed: int, size: int = 2048) -> None:
    """A raw 16-bit frame with sky noise and stars, as large as the example's cameras."""
    from astropy.io import fits

    rng = np.random.default_rng(seed)
    pixels = rng.normal(1000.0, 12.0, (size, size)).astype(np.float32)
    for y, x in rng.integers(8, size - 8, (200, 2)):
        pixels[y - 2:y + 3, x - 2:x + 3] += rng.uniform(200, 20000)
    header = fits.Header({"IMAGETYP": "LIGHT", "EXPTIME": 60.0, "RA": 150.0, "DEC": 20.0,
                          "XBINNING": 1})
    path.parent.mkdir(parents=True, exist_ok=True)
    fits.PrimaryHDU(np.clip(pixels, 0, 65535).astype(np.uint16), header).writeto(
        path, checksum=True)


def bench_files(frames: int) -> dict[str, Any]:
    from pyros.archive import layout
    from pyros.archive.ingest import catalogue_file
    from pyros.archive.models import Product
    from pyros.config.loader import active_config

    unit = active_config()
    night = date(2026, 11, 21)
    folder = layout.folder(unit, "VIS", night, "raw")
    paths = [folder / f"bench-{i:04d}.fits" for i in range(frames)]
    for i, path in enumerate(paths):
        synthetic_frame(path, i)
    taken = datetime(2026, 11, 22, 3, tzinfo=UTC)
    seconds = []
    for i, path in enumerate(paths):
        began = time.perf_counter()
        catalogue_file(unit, path, Product.RAW, {
            "channel": "VIS", "frame_type": "LIGHT", "night": night,
            "date_obs": taken + timedelta(minutes=i), "exposure": 60.0, "filter": "r",
            "target_name": "bench"}, previews=True)
        seconds.append(time.perf_counter() - began)
    size = sum(p.stat().st_size for p in paths)
    report: dict[str, Any] = {
        "frame_mb": size / len(paths) / 1e6, "ingest_seconds_p50": statistics.median(seconds),
        "ingest_frames_per_second": len(paths) / sum(seconds),
        "ingest_mb_per_second": size / 1e6 / sum(seconds)}
    report.update(_verify_against_sha256sum(paths, size))
    report.update(_zip_against_cp(unit, paths, size))
    return report


def _twice(action: Callable[[], object]) -> float:
    """The second of two runs: the page cache warm for both sides of a comparison."""
    action()
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def _verify_against_sha256sum(paths: list[Path], size: int) -> dict[str, Any]:
    from pyros.archive.checksums import sha256_file

    ours = _twice(lambda: [sha256_file(p) for p in paths])
    if shutil.which("sha256sum") is None:
        return {"verify_mb_per_second": size / 1e6 / ours}
    theirs = _twice(lambda: subprocess.run(["sha256sum", *map(str, paths)], check=True,
                                           capture_output=True))
    return {"verify_mb_per_second": size / 1e6 / ours,
            "sha256sum_mb_per_second": size / 1e6 / theirs,
            "verify_ratio_to_sha256sum": theirs / ours}


def _zip_against_cp(unit: Any, paths: list[Path], size: int) -> dict[str, Any]:
    """The zip download's stream (as the API sends it) written to a file, against
    ``cp`` of the same files to a folder on the same disk."""
    from pyros import clock
    from pyros.archive.layout import absolute
    from pyros.archive.models import ArchiveFrame
    from pyros.archive.zipstream import Member, stream_zip

    members = [Member(path=path, name=path.name, sha256=frame.sha256, modified=frame.date_obs,
                      size=path.stat().st_size, crc32=frame.crc32)
               for frame in ArchiveFrame.objects.order_by("id")
               for path in [absolute(unit, frame.path)]]
    with tempfile.TemporaryDirectory(prefix="pyros-bench-zip-") as scratch:
        target = Path(scratch) / "download.zip"

        def download() -> None:
            with open(target, "wb") as out:
                for chunk in stream_zip(members, clock.now()):
                    out.write(chunk)

        def copy() -> None:
            folder = Path(scratch) / "copy"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            subprocess.run(["cp", *map(str, paths), str(folder)], check=True)

        zipped = _twice(download)
        copied = _twice(copy)
    return {"zip_mb_per_second": size / 1e6 / zipped, "cp_mb_per_second": size / 1e6 / copied,
            "zip_ratio_to_cp": copied / zipped}


def bench_search(rows: int, seed: int = 7) -> dict[str, Any]:
    from django.db import connection

    from pyros.archive.models import ArchiveFrame
    from pyros.archive.search import Cone, Filters

    began = time.perf_counter()
    _fill(rows, seed)
    filled = time.perf_counter() - began
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    rng = np.random.default_rng(seed + 1)
    first = date(2024, 1, 1)
    timings, found = [], []
    for _ in range(SEARCHES):
        dec = math.degrees(math.asin(rng.uniform(-0.9, 0.9)))
        start = first + timedelta(days=int(rng.integers(0, 700)))
        filters = Filters(cone=Cone(float(rng.uniform(0, 360)), dec, float(rng.uniform(0.5, 2))),
                          night_from=start, night_to=start + timedelta(days=365),
                          filter=str(rng.choice(FILTERS)))
        began = time.perf_counter()
        result = list(filters.apply(ArchiveFrame.objects.all()).order_by("-date_obs")[:100]
                      .values_list("id", "basename", "ra", "dec"))
        timings.append((time.perf_counter() - began) * 1000)
        found.append(len(result))
    timings.sort()
    return {"database": connection.vendor, "rows": rows, "fill_seconds": filled,
            "searches": SEARCHES, "cone_p50_ms": statistics.median(timings),
            "cone_p99_ms": timings[min(len(timings) - 1, int(0.99 * len(timings)))],
            "found_mean": statistics.fmean(found)}


def _fill(rows: int, seed: int) -> None:
    """``rows`` catalogue rows spread uniformly over the sky and three years, inserted
    in batches through the cursor (model instances would make the fill the benchmark)."""
    from django.db import connection, transaction

    from pyros.archive.ingest import zone_of
    from pyros.archive.models import ArchiveFrame

    rng = np.random.default_rng(seed)
    fields = ["basename", "path", "product", "reduction_level", "unit", "channel",
              "frame_type", "night", "date_obs", "exposure", "filter", "binning",
              "target_name", "ra", "dec", "x", "y", "z", "zone", "size", "sha256", "headers",
              "public_date", "ingested_at", "thumbnail", "preview", "previews"]
    table = ArchiveFrame._meta.db_table
    columns = ", ".join(connection.ops.quote_name(f) for f in fields)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
    start = datetime(2024, 1, 1, tzinfo=UTC)
    batch = 20_000
    for offset in range(0, rows, batch):
        n = min(batch, rows - offset)
        ra = rng.uniform(0, 360, n)
        dec = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
        a, d = np.radians(ra), np.radians(dec)
        x, y, z = np.cos(d) * np.cos(a), np.cos(d) * np.sin(a), np.sin(d)
        minutes = rng.integers(0, 3 * 365 * 24 * 60, n)
        filters = rng.choice(FILTERS, n)
        values = []
        for i in range(n):
            when = start + timedelta(minutes=int(minutes[i]))
            name = f"bench-{offset + i:08d}.fits"
            values.append((
                name, f"u/VIS/{when:%Y%m%d}/raw/{name}", "RAW", 0, "u", "VIS", "LIGHT",
                (when - timedelta(hours=12)).date(), when, 60.0, str(filters[i]), 1,
                f"field {offset + i}", float(ra[i]), float(dec[i]), float(x[i]), float(y[i]),
                float(z[i]), zone_of(float(dec[i])), 8_400_000, "0" * 64, "{}", when, when,
                "", "", "PENDING"))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, values)


def main(argv: list[str]) -> int:
    part, options = argv[0], json.loads(argv[1])
    _setup()
    if part == "files":
        report = bench_files(int(options["frames"]))
    elif part == "search":
        report = bench_search(int(options["rows"]))
    else:
        raise SystemExit(f"unknown benchmark part {part!r}")
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
