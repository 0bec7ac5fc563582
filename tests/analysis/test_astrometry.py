"""The real astrometry.net solver on the simulated camera's frames, with index files built
from the simulated sky's own catalogue: what it solves must agree with where the
simulator put the stars (its pointing at the detector's centre, its pixel scale, its
catalogue positions through a TAN projection)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from pyros.analysis import astrometry, indexes
from pyros.analysis.astrometry import Hint
from pyros.analysis.detection import BAD_FLAGS, background, extract
from pyros.analysis.frames import load_frame
from pyros.simulators.sky import Detector, render_frame, stars_near
from tests.analysis.conftest import POINTING, SCALE, request

pytestmark = pytest.mark.skipif(
    not (astrometry.shutil.which("solve-field") and
         astrometry.shutil.which(indexes.BUILDER)),
    reason="astrometry.net is not installed")

SOLVER_SOURCES = 300
ARCSEC = 1.0 / 3600.0


@dataclass
class Field:
    size: int
    x: np.ndarray  # the brightest clean sources, 0-based
    y: np.ndarray
    flux: np.ndarray
    indexes: list[Path]

    @property
    def width_degrees(self) -> float:
        return self.size * SCALE / 3600.0


@pytest.fixture(scope="module")
def index_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("astrometry-cache")


def _field(size: int, cache: Path, tmp: Path) -> Field:
    detector = Detector(width=size, height=size, pixel_scale=SCALE)
    path = tmp / f"field-{size}.fits"
    render_frame(request(detector=detector)).writeto(path)
    frame = load_frame(path)
    sky = background(frame.data, frame.mask)
    sources = extract(frame.data, sky, frame.mask, sigma=5.0, min_area=5,
                      saturation=frame.saturation, gain=frame.gain).sources
    clean = sources[(sources["flags"] < BAD_FLAGS) & (sources["flux"] > 0)]
    bright = clean[np.argsort(clean["flux"])[::-1][:SOLVER_SOURCES]]
    files = indexes.simulated_sky_index(*POINTING, size * SCALE / 3600.0, SCALE,
                                        cache_dir=cache)
    return Field(size, bright["x"], bright["y"], bright["flux"], files)


@pytest.fixture(scope="module")
def fields(index_cache, tmp_path_factory):
    """``fields(size)``: the simulated frame of that size, rendered and extracted once."""
    made: dict[int, Field] = {}

    def field_of(size: int) -> Field:
        if size not in made:
            made[size] = _field(size, index_cache, tmp_path_factory.mktemp("frames"))
        return made[size]

    return field_of


@pytest.fixture(params=[1024, 2048], ids=["1024px", "2048px"])
def field(request, fields) -> Field:
    return fields(request.param)


def hinted(field: Field, time_limit: float = 30.0) -> astrometry.Solution:
    """Hinted as the pipeline hints: the header's pointing (here a minute of arc off, as
    a mount would be) and the channel's scale ±5 %."""
    hint = Hint(POINTING[0] + 1.0 / 60.0 / math.cos(math.radians(POINTING[1])),
                POINTING[1] - 0.7 / 60.0, 0.2)
    return astrometry.solve(field.x, field.y, field.flux, field.size, field.size,
                            indexes=field.indexes, hint=hint,
                            scale=(SCALE * 0.95, SCALE * 1.05), time_limit=time_limit)


def true_positions(size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The catalogue stars on the frame: 0-based pixel positions as the simulator renders
    them (the pointing at the detector's centre, north up, east left), and (ra, dec)."""
    stars = stars_near(*POINTING, size * SCALE / 3600.0)
    ra0, dec0 = (math.radians(v) for v in POINTING)
    ra, dec = np.radians(stars.ra), np.radians(stars.dec)
    cos_c = math.sin(dec0) * np.sin(dec) + math.cos(dec0) * np.cos(dec) * np.cos(ra - ra0)
    xi = np.degrees(np.cos(dec) * np.sin(ra - ra0) / cos_c)
    eta = np.degrees((math.cos(dec0) * np.sin(dec) - math.sin(dec0) * np.cos(dec)
                      * np.cos(ra - ra0)) / cos_c)
    scale = SCALE / 3600.0
    x, y = (size - 1) / 2 - xi / scale, (size - 1) / 2 + eta / scale
    return x, y, stars.ra, stars.dec


def arcsec_between(ra1, dec1, ra2, dec2) -> np.ndarray:
    east = (np.asarray(ra1) - ra2 + 180.0) % 360.0 - 180.0
    return np.hypot(east * np.cos(np.radians(dec2)), np.asarray(dec1) - dec2) * 3600.0


# --- Solving ---------------------------------------------------------------------------


def test_a_hinted_solve_finds_the_pointing_the_scale_and_the_stars(field):
    solution = hinted(field)
    print(f"\n{field.size}² hinted: {solution.elapsed:.2f} s, {solution.matched} matched, "
          f"rms {solution.rms:.3f}″, index {solution.index}")
    centre_error = arcsec_between(solution.ra, solution.dec, *POINTING)
    assert centre_error < 1.0
    assert solution.pixel_scale == pytest.approx(SCALE, rel=0.005)
    assert abs(solution.rotation) < 0.01
    assert solution.wcs.wcs.crpix == pytest.approx([(field.size + 1) / 2] * 2)  # 1-based
    assert not solution.mirrored
    assert solution.rms <= 0.3
    assert solution.matched >= 10
    assert solution.index in map(str, field.indexes)
    assert solution.header["CTYPE1"] == "RA---TAN-SIP"
    assert solution.header["RADESYS"] == "ICRS"

    # Every source's sky position, from the solved WCS with numpy's 0-based positions,
    # against the catalogue star it is.
    tx, ty, tra, tdec = true_positions(field.size)
    nearest = np.array([np.argmin(np.hypot(tx - x, ty - y))
                        for x, y in zip(field.x, field.y, strict=True)])
    isolated = np.hypot(tx[nearest] - field.x, ty[nearest] - field.y) < 1.5
    ra, dec = solution.wcs.all_pix2world(field.x, field.y, 0)
    errors = arcsec_between(ra, dec, tra[nearest], tdec[nearest])[isolated]
    assert isolated.sum() >= 0.8 * len(field.x)
    assert np.median(errors) <= 0.3
    print(f"centre error {centre_error:.3f}″, scale {solution.pixel_scale:.5f}″/px, "
          f"source errors median {np.median(errors):.3f}″ over {len(errors)}")


def test_the_wcs_is_for_0_based_positions(field):
    """A 1-based mistake would move every position by a pixel's diagonal, 0.54″."""
    solution = hinted(field)
    tx, ty, tra, tdec = true_positions(field.size)
    inside = (tx > 10) & (tx < field.size - 10) & (ty > 10) & (ty < field.size - 10)
    ra, dec = solution.wcs.all_pix2world(tx[inside], ty[inside], 0)
    assert np.median(arcsec_between(ra, dec, tra[inside], tdec[inside])) < 0.1
    ra, dec = solution.wcs.all_pix2world(tx[inside], ty[inside], 1)
    assert np.median(arcsec_between(ra, dec, tra[inside], tdec[inside])) > 0.4


@pytest.mark.parametrize(("turn", "rotation", "mirrored"), [
    (lambda x, y, n: (y, n - 1 - x), 90.0, False),  # the camera turned: +y is east
    (lambda x, y, n: (n - 1 - x, y), 0.0, True),  # mirrored by the optics: east right
])
def test_rotation_and_parity_are_measured(fields, turn, rotation, mirrored):
    field = fields(1024)
    x, y = turn(field.x, field.y, field.size)
    solution = astrometry.solve(x, y, field.flux, field.size, field.size,
                                indexes=field.indexes, hint=Hint(*POINTING, 0.2),
                                scale=(SCALE * 0.95, SCALE * 1.05))
    assert solution.rotation == pytest.approx(rotation, abs=0.01)
    assert solution.mirrored is mirrored
    assert arcsec_between(solution.ra, solution.dec, *POINTING) < 1.0


def test_a_blind_solve_needs_only_the_scale_range(field):
    solution = astrometry.solve(field.x, field.y, field.flux, field.size, field.size,
                                indexes=field.indexes, scale=(SCALE * 0.9, SCALE * 1.1))
    print(f"\n{field.size}² blind: {solution.elapsed:.2f} s")
    assert arcsec_between(solution.ra, solution.dec, *POINTING) < 1.0
    assert solution.rms <= 0.3


def test_without_a_scale_the_hint_is_enough(field):
    solution = astrometry.solve(field.x, field.y, field.flux, field.size, field.size,
                                indexes=field.indexes, hint=Hint(*POINTING, 0.2))
    assert solution.pixel_scale == pytest.approx(SCALE, rel=0.005)


def test_index_directories_are_searched(field):
    solution = astrometry.solve(field.x, field.y, field.flux, field.size, field.size,
                                indexes=[field.indexes[0].parent],
                                scale=(SCALE * 0.95, SCALE * 1.05))
    assert arcsec_between(solution.ra, solution.dec, *POINTING) < 1.0


# --- What is not solved ------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_index(index_cache) -> list[Path]:
    return indexes.simulated_sky_index(*POINTING, 1024 * SCALE / 3600.0, SCALE,
                                       cache_dir=index_cache)


def test_too_few_or_mismatched_sources_are_refused(small_index):
    with pytest.raises(ValueError, match="at least 4"):
        astrometry.solve([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [3.0, 2.0, 1.0], 100, 100,
                         indexes=small_index)
    with pytest.raises(ValueError, match="at least 4"):  # NaNs do not count
        astrometry.solve([1, 2, 3, np.nan], [1, 2, 3, 4], [4, 3, 2, 1], 100, 100,
                         indexes=small_index)
    with pytest.raises(ValueError, match="length"):
        astrometry.solve([1, 2, 3, 4], [1, 2, 3], [4, 3, 2, 1], 100, 100, indexes=small_index)
    with pytest.raises(ValueError, match="positive"):
        astrometry.solve([1, 2, 3, 4], [1, 2, 3, 4], [4, 3, 2, 1], 0, 100,
                         indexes=small_index)
    with pytest.raises(ValueError, match="no index"):
        astrometry.solve([1, 2, 3, 4], [1, 2, 3, 4], [4, 3, 2, 1], 100, 100,
                         indexes=[Path("/nonexistent")])


def test_stars_scattered_at_random_are_not_solved_quickly(small_index):
    rng = np.random.default_rng(5)
    x, y = rng.uniform(0, 1024, 80), rng.uniform(0, 1024, 80)
    started = time.monotonic()
    with pytest.raises(astrometry.NotSolved, match="no solution") as raised:
        astrometry.solve(x, y, rng.uniform(1e3, 1e5, 80), 1024, 1024, indexes=small_index,
                         hint=Hint(*POINTING, 0.2), scale=(SCALE * 0.95, SCALE * 1.05),
                         time_limit=3.0)
    print(f"\nrandom field given up after {time.monotonic() - started:.2f} s: {raised.value}")
    assert time.monotonic() - started < astrometry.wall_limit(3.0)


def test_a_solver_past_its_wall_clock_limit_is_killed(small_index, monkeypatch, tmp_path):
    """The whole process group goes (solve-field and its astrometry-engine), and the
    scratch directory with it."""
    monkeypatch.setattr(astrometry, "wall_limit", lambda time_limit: 0.3)
    monkeypatch.setattr(astrometry.tempfile, "tempdir", str(tmp_path))
    rng = np.random.default_rng(6)
    x, y = rng.uniform(0, 2048, 300), rng.uniform(0, 2048, 300)
    started = time.monotonic()
    with pytest.raises(astrometry.NotSolved, match="killed after"):
        astrometry.solve(x, y, rng.uniform(1e3, 1e5, 300), 2048, 2048, indexes=small_index,
                         time_limit=60.0)
    assert time.monotonic() - started < 5.0
    assert list(tmp_path.iterdir()) == []
    survivors = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True)
    assert survivors.stdout == ""


def test_without_solve_field_the_error_says_to_install_it(small_index, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(astrometry.SolverNotInstalled, match=r"apt install astrometry\.net"):
        astrometry.solve([1, 2, 3, 4], [1, 5, 3, 9], [4, 3, 2, 1], 100, 100,
                         indexes=small_index)


@pytest.mark.parametrize(("script", "message"), [
    ("echo 'engine: segmentation fault' >&2; exit 139", "exit 139.*segmentation fault"),
    ("touch field.solved; echo garbage > field.wcs", "WCS file is unreadable"),
])
def test_a_broken_solver_is_an_astrometry_error(small_index, monkeypatch, tmp_path, script,
                                                message):
    """Not NotSolved: the pipeline must not take a broken installation for a cloudy sky."""
    fake = tmp_path / "solve-field"
    fake.write_text(f"#!/bin/sh\n{script}\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(astrometry.AstrometryError, match=message) as raised:
        astrometry.solve([1, 2, 3, 4], [1, 5, 3, 9], [4, 3, 2, 1], 100, 100,
                         indexes=small_index)
    assert not isinstance(raised.value, astrometry.NotSolved)


# --- The index cache ---------------------------------------------------------------------


def test_an_index_is_built_once_per_cell(small_index, index_cache):
    before = [p.stat().st_mtime_ns for p in small_index]
    started = time.monotonic()
    # A pointing 3′ away, in the same cell: the same files, not rebuilt.
    again = indexes.simulated_sky_index(POINTING[0] + 0.05, POINTING[1] + 0.02,
                                        1024 * SCALE / 3600.0, SCALE, cache_dir=index_cache)
    hit = time.monotonic() - started
    print(f"\ncache hit in {hit * 1000:.1f} ms")
    assert again == small_index
    assert [p.stat().st_mtime_ns for p in again] == before
    assert hit < 0.5
    assert all("dec+30.125" in p.name and "-P" in p.name for p in again)
    assert not list(index_cache.glob(".build-*"))


def test_the_cache_is_in_the_data_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("PYROS_HOME", str(tmp_path))
    assert indexes.default_cache_dir() == tmp_path.resolve() / "cache" / "astrometry"


def test_the_scales_fit_the_field():
    assert indexes.presets_for(1024 * SCALE / 3600.0, SCALE) == [1, 0]  # 6.5′: 2–4′ quads
    assert indexes.presets_for(2048 * SCALE / 3600.0, SCALE) == [3, 2]  # 13′: 4–8′ quads
    for preset in (1, 0):
        low, high = indexes.quad_range(preset)
        assert 0.2 * 6.48 <= low < high <= 0.7 * 6.48


def test_concurrent_builders_of_a_cell_make_one_index(tmp_path):
    """Two processes build the same cell at once: the second waits for the first and
    uses its file (the inode each saw is the one left)."""
    script = ("import sys; from pathlib import Path; from pyros.analysis import indexes; "
              "files = indexes.simulated_sky_index(120.0, -20.0, 0.2162, 0.38, radius=0.0, "
              "cache_dir=Path(sys.argv[1])); "
              "print(' '.join(f'{p}:{p.stat().st_ino}' for p in files))")
    name = indexes.index_name(indexes.cell_centre(120.0, -20.0),
                              indexes.covering_radius(120.0, -20.0, 0.2162, 0.0), 3)
    abandoned = tmp_path / f".build-{Path(name).stem}-killed"  # by a builder killed
    abandoned.mkdir()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    builders = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path)],
                                 stdout=subprocess.PIPE, text=True, env=env)
                for _ in range(2)]
    outputs = [b.communicate(timeout=120)[0].split() for b in builders]
    assert all(b.returncode == 0 for b in builders)
    assert outputs[0] == outputs[1]
    for entry in outputs[0]:
        path, inode = entry.rsplit(":", 1)
        assert Path(path).stat().st_ino == int(inode)
    assert not list(tmp_path.glob(".build-*"))
    assert len(list(tmp_path.glob("*.fits"))) == len(outputs[0])
    assert any(name in entry for entry in outputs[0])
    assert not abandoned.exists()
