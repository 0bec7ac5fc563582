"""astrometry.net index files for the simulated sky, built from its own catalogue.

The simulated camera renders the stars of :func:`pyros.simulators.sky.stars_near`, a sky
that exists nowhere else: no published index can solve its frames, so the pipeline builds
one the first time a region is observed, with ``build-astrometry-index``.

Reuse: the sky is cut into cells of :data:`CELL_SIZE` degrees (constant in declination,
about that wide in right ascension), and an index covers the whole of a pointing's cell
plus the field and ``radius`` beyond, so every frame pointed into the same cell reuses it.
The file name says what it covers: the catalogue's seed, the cell's centre, the radius
(degrees) and the scale number, e.g. ``simsky1-20260421-ra040.016-dec+30.125-r0.503-P1``.
Builds write to a temporary file renamed into place, under an exclusive lock on the
index's lock file, so concurrent builders of one cell wait for the first and then find
its file. Building one cell's two scales takes 1–3 s (measured: 0.9 s for a 13′ field,
2.1 s for a 6.5′ one, whose finer quads need more healpix cells).

Scales follow astrometry.net's table (the ``-P`` preset numbers): preset k holds quads of
2′·√2^k to 2′·√2^(k+1); we take the two largest whose quads lie between a fifth and
seven tenths of the field's width, where a field of sixty stars still has many quads.
"""

from __future__ import annotations

import fcntl
import math
import os
import shutil
import subprocess
import tempfile
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from astropy.io import fits

from pyros import paths
from pyros.analysis.astrometry import AstrometryError
from pyros.simulators import sky

BUILDER = "build-astrometry-index"
#: In the file names: raise it when the way indexes are built changes, so that caches
#: of the old way are not used.
INDEX_VERSION = 1
CELL_SIZE = 0.25  # degrees: pointings within a cell share its index
#: astrometry.net's preset scales: quads of QUAD_BASE·√2^k to QUAD_BASE·√2^(k+1) arcmin.
QUAD_BASE = 2.0
PRESETS = range(-5, 20)
QUAD_LOW, QUAD_HIGH = 0.2, 0.7  # fractions of the field's width the quads should span
SCALES_PER_FIELD = 2
STARS_PER_CELL = 10  # brightest per healpix cell of the quad scale (-n)
DEDUP_ARCSEC = 1.0  # stars closer than this are one blend in the frame (-r)


class IndexBuildError(AstrometryError):
    """The index could not be built (builder missing or failed): to the pipeline, a
    frame that cannot be solved."""


def simulated_sky_index(ra: float, dec: float, field_width: float, pixel_scale: float, *,
                        radius: float = 0.25, cache_dir: Path | None = None,
                        time_limit: float = 120.0) -> list[Path]:
    """Index files covering ``radius`` degrees beyond a field ``field_width`` degrees wide
    pointed at (ra, dec), built once per cell and scale (see the module).

    ``pixel_scale`` (arcsec per pixel) is not needed for the quads, which are sized by the
    field, but bounds them from below: a quad must be several pixels across.
    """
    if not (field_width > 0 and pixel_scale > 0 and radius >= 0 and -90 <= dec <= 90):
        raise ValueError(f"no index for a field {field_width}° wide at {pixel_scale}″/px, "
                         f"radius {radius}°, dec {dec}°")
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    centre = cell_centre(ra, dec)
    cover = covering_radius(ra, dec, field_width, radius)
    presets = presets_for(field_width, pixel_scale)
    # One builder per scale, side by side: each is a single-threaded process.
    with ThreadPoolExecutor(max_workers=len(presets)) as pool:
        return list(pool.map(
            lambda preset: _cached_index(cache, centre, cover, preset, time_limit), presets))


def default_cache_dir() -> Path:
    return paths.data_dir() / "cache" / "astrometry"


# --- What an index covers -----------------------------------------------------------------


def cell_centre(ra: float, dec: float) -> tuple[float, float]:
    """The centre of the cell holding (ra, dec) (see :func:`_cell`)."""
    centre, _ = _cell(ra, dec)
    return centre


def _cell(ra: float, dec: float) -> tuple[tuple[float, float], float]:
    """The cell holding (ra, dec): its centre, and its half-diagonal in degrees.

    Declination bands CELL_SIZE high, each cut into as many RA cells as keep them about
    CELL_SIZE wide at the band's middle (wider at its edge nearer the equator)."""
    bands = round(180.0 / CELL_SIZE)
    band = min(bands - 1, int((dec + 90.0) // CELL_SIZE))
    dec_centre = -90.0 + (band + 0.5) * CELL_SIZE
    cells = max(1, math.ceil(360.0 / CELL_SIZE * math.cos(math.radians(dec_centre))))
    width = 360.0 / cells
    ra_centre = ((int((ra % 360.0) // width) % cells) + 0.5) * width
    corners = [_separation(ra_centre, dec_centre, ra_centre + width / 2,
                           max(-90.0, min(90.0, dec_centre + side * CELL_SIZE / 2)))
               for side in (-1, 1)]
    return (ra_centre, dec_centre), max(corners)


def covering_radius(ra: float, dec: float, field_width: float, radius: float) -> float:
    """Degrees around the centre of the cell of (ra, dec): a pointing anywhere in the
    cell, its field's half-diagonal around it, and the radius asked for beyond."""
    _, half_diagonal = _cell(ra, dec)
    return half_diagonal + field_width * math.sqrt(2.0) / 2 + radius


def _separation(ra1: float, dec1: float, ra2: float, dec2: float) -> float:
    d1, d2, dra = math.radians(dec1), math.radians(dec2), math.radians(ra2 - ra1)
    h = math.sin((d2 - d1) / 2) ** 2 + math.cos(d1) * math.cos(d2) * math.sin(dra / 2) ** 2
    return math.degrees(2 * math.asin(math.sqrt(min(1.0, h))))


def presets_for(field_width: float, pixel_scale: float) -> list[int]:
    """The preset scales for the field (see the module), largest first."""
    width = field_width * 60.0  # arcmin
    smallest = max(QUAD_LOW * width, 10 * pixel_scale / 60.0)
    fitting = [k for k in PRESETS
               if quad_range(k)[0] >= smallest and quad_range(k)[1] <= QUAD_HIGH * width]
    if not fitting:  # the field is outside the table's range: the nearest preset
        target = 0.45 * width
        fitting = [min(PRESETS, key=lambda k: abs(math.log(sum(quad_range(k)) / 2 / target)))]
    return sorted(fitting, reverse=True)[:SCALES_PER_FIELD]


def quad_range(preset: int) -> tuple[float, float]:
    """Arcmin: the sizes of the quads of a preset scale."""
    return QUAD_BASE * math.sqrt(2.0) ** preset, QUAD_BASE * math.sqrt(2.0) ** (preset + 1)


def index_name(centre: tuple[float, float], cover: float, preset: int) -> str:
    return (f"simsky{INDEX_VERSION}-{sky.STAR_FIELD_SEED}-ra{centre[0]:07.3f}-dec{centre[1]:+07.3f}"
            f"-r{cover:.3f}-P{preset}.fits")


# --- Building, once ----------------------------------------------------------------------


def _cached_index(cache: Path, centre: tuple[float, float], cover: float, preset: int,
                  time_limit: float) -> Path:
    target = cache / index_name(centre, cover, preset)
    if _is_index(target):
        return target
    with _locked(target.with_suffix(".lock")):
        if not _is_index(target):  # another process may have built it while we waited
            _remove_abandoned_builds(target)
            _build(target, centre, cover, preset, time_limit)
    return target


def _scratch_prefix(target: Path) -> str:
    return f".build-{target.stem}-"


def _remove_abandoned_builds(target: Path) -> None:
    """Scratch directories of this index left by a builder that was killed: with the
    lock held, no live builder of it can own one."""
    for scratch in target.parent.glob(_scratch_prefix(target) + "*"):
        shutil.rmtree(scratch, ignore_errors=True)


def _is_index(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 0


@contextmanager
def _locked(lock: Path) -> Iterator[None]:
    """An exclusive lock held across processes; the lock file stays (deleting it would
    let a third process lock a new file while the second holds the old one)."""
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build(target: Path, centre: tuple[float, float], cover: float, preset: int,
           time_limit: float) -> None:
    builder = shutil.which(BUILDER)
    if builder is None:
        raise IndexBuildError(f"{BUILDER} is not on PATH: install astrometry.net (Debian and "
                          "Ubuntu: apt install astrometry.net)")
    stars = sky.stars_near(centre[0], centre[1], cover)
    if len(stars) < 4:
        raise IndexBuildError(f"{len(stars)} simulated stars within {cover:.2f}° of {centre}")
    with tempfile.TemporaryDirectory(prefix=_scratch_prefix(target),
                                     dir=target.parent) as scratch:
        work = Path(scratch)
        catalogue = _write_catalogue(work / "stars.fits", stars)
        partial = work / target.name
        command = [builder, "-i", str(catalogue), "-o", str(partial), "-P", str(preset),
                   "-S", "MAG", "-E", "-n", str(STARS_PER_CELL), "-r", str(DEDUP_ARCSEC),
                   "-I", str(_unique_id(target.name)), "-t", str(work)]
        _run(command, time_limit)
        if not _is_index(partial):
            raise IndexBuildError(f"{BUILDER} wrote no index for {target.name}")
        os.replace(partial, target)  # same file system: atomic


def _write_catalogue(path: Path, stars: sky.Stars) -> Path:
    columns = [fits.Column(name="RA", format="D", array=np.asarray(stars.ra)),
               fits.Column(name="DEC", format="D", array=np.asarray(stars.dec)),
               fits.Column(name="MAG", format="E", array=np.asarray(stars.magnitude))]
    fits.BinTableHDU.from_columns(columns).writeto(path)
    return path


def _unique_id(name: str) -> int:
    """The index's id, which solve-field reports: stable for a name, positive int32."""
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def _run(command: list[str], time_limit: float) -> None:
    started = time.monotonic()
    try:
        done = subprocess.run(command, capture_output=True, text=True, errors="replace",
                              timeout=time_limit, check=False)
    except subprocess.TimeoutExpired:
        raise IndexBuildError(f"{BUILDER} took more than {time_limit:g} s") from None
    if done.returncode != 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        raise IndexBuildError(f"{BUILDER} failed (exit {done.returncode}) after "
                          f"{time.monotonic() - started:.1f} s: {tail}")
