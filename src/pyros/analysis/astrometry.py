"""Plate solving with astrometry.net, from a source list the pipeline already has.

The sources come from sep (see :mod:`pyros.analysis.detection`), so solve-field is given
an xylist and never runs its own image2xy: one extraction per frame, the same positions
the photometry uses. Each solve runs in a private temporary directory with a private
engine configuration naming exactly the index files given (the system's
``/etc/astrometry.cfg`` may list indexes of another scale, or none); the directory is
removed afterwards whatever happens.

Pixel coordinates: the caller's are 0-based (numpy, sep); astrometry.net's xylists and
the WCS it writes are FITS, 1-based. The xylist gets ``x + 1``, and the solved WCS is
then the FITS WCS of the image, so ``wcs.all_pix2world(x, y, 0)`` maps the caller's
positions. The correspondence file is in the xylist's (1-based) coordinates.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS, FITSFixedWarning

SOLVER = "solve-field"
MIN_SOURCES = 4
#: The wall-clock limit, beyond which the solver's process group is killed, is the CPU
#: limit times WALL_FACTOR plus WALL_MARGIN seconds: the engine counts its own CPU time
#: only, checks it between quads, and on a machine busy with other frames (we measured a
#: 2 s CPU limit taking 12 s of wall time under a load of 7 on 2 cores) gets a share of
#: a core. The kill is for a hung solver, not a slow one.
WALL_FACTOR = 2.0
WALL_MARGIN = 15.0
INDEX_SUFFIXES = (".fits", ".fit", ".fits.fz")


class AstrometryError(RuntimeError):
    """The solver failed in a way that is not the sky's fault (bad output, crash)."""


class NotSolved(AstrometryError):
    """The solver ran and found no solution; the message says what it reported."""


class SolverNotInstalled(AstrometryError):
    """solve-field is not on PATH."""


@dataclass(frozen=True)
class Hint:
    """Where the field is believed to be: degrees (ICRS) and a search radius, degrees."""

    ra: float
    dec: float
    radius: float


@dataclass
class Solution:
    wcs: WCS  # TAN-SIP as solved, FITS convention (origin 0 for numpy positions)
    header: fits.Header  # the WCS cards
    ra: float  # degrees: the field's centre
    dec: float
    pixel_scale: float  # arcsec per pixel
    rotation: float  # degrees east of north of the image's +y axis, -180 to 180
    mirrored: bool  # parity opposite to the sky seen directly (east counter-clockwise)
    matched: int  # stars in the correspondence file
    rms: float  # arcsec: matched field stars through the WCS against their index stars
    index: str  # the index file that solved
    elapsed: float  # seconds, wall clock


def solve(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray,
          flux: Sequence[float] | np.ndarray, width: int, height: int, *,
          indexes: Sequence[Path], hint: Hint | None = None,
          scale: tuple[float, float] | None = None, time_limit: float = 30.0,
          tweak_order: int = 2) -> Solution:
    """The WCS of a field of ``width`` × ``height`` pixels whose sources are at 0-based
    (x, y) with the given fluxes, from the index files (or directories of them) given.

    ``scale`` bounds the pixel scale in arcsec per pixel; ``time_limit`` is the solver's
    CPU budget in seconds (its wall time is bounded too, with a margin).
    """
    xs, ys, fluxes = _checked_sources(x, y, flux)
    _check_geometry(width, height, scale, time_limit, hint)
    files = index_files(indexes)
    solver = shutil.which(SOLVER)
    if solver is None:
        raise SolverNotInstalled(f"{SOLVER} is not on PATH: install astrometry.net (Debian "
                                 "and Ubuntu: apt install astrometry.net)")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="pyros-solve-") as scratch:
        work = Path(scratch)
        xylist = _write_xylist(work / "field.xyls", xs, ys, fluxes)
        config = _write_config(work / "engine.cfg", files, time_limit)
        command = _command(solver, xylist, config, work, width, height, hint=hint,
                           scale=scale, time_limit=time_limit, tweak_order=tweak_order)
        log = _run(command, work, timeout=wall_limit(time_limit))
        if not (work / "field.solved").exists():
            raise NotSolved(_reason(log, time_limit))
        return _solution(work, width, height, log, files, time.monotonic() - started)


def wall_limit(time_limit: float) -> float:
    """Seconds of wall clock a solve with this CPU limit is allowed (see WALL_FACTOR)."""
    return WALL_FACTOR * time_limit + WALL_MARGIN


def index_files(indexes: Sequence[Path]) -> list[Path]:
    """The index files named, and those found in the directories named, sorted."""
    found: list[Path] = []
    for entry in map(Path, indexes):
        if entry.is_dir():
            found += sorted(p for p in entry.iterdir()
                            if p.is_file() and p.name.endswith(INDEX_SUFFIXES))
        elif entry.is_file():
            found.append(entry)
        else:
            raise ValueError(f"no index file or directory at {entry}")
    if not found:
        raise ValueError(f"no index files in {[str(p) for p in indexes]}")
    return [p.resolve() for p in found]


# --- Inputs ------------------------------------------------------------------------------


def _checked_sources(x, y, flux) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Finite sources only: sep can give NaN fluxes at the edges, which would sort
    anywhere; too few left is the caller's problem, not the solver's."""
    xs, ys, fluxes = (np.asarray(a, dtype=float).ravel() for a in (x, y, flux))
    if not len(xs) == len(ys) == len(fluxes):
        raise ValueError(f"x, y and flux differ in length ({len(xs)}, {len(ys)}, "
                         f"{len(fluxes)})")
    finite = np.isfinite(xs) & np.isfinite(ys) & np.isfinite(fluxes)
    if finite.sum() < MIN_SOURCES:
        raise ValueError(f"{int(finite.sum())} finite sources: at least {MIN_SOURCES} are "
                         "needed to make a quad")
    return xs[finite], ys[finite], fluxes[finite]


def _check_geometry(width: int, height: int, scale: tuple[float, float] | None,
                    time_limit: float, hint: Hint | None) -> None:
    if width <= 0 or height <= 0:
        raise ValueError(f"image size must be positive, not {width} × {height}")
    if scale is not None and not 0 < scale[0] <= scale[1]:
        raise ValueError(f"scale bounds must be positive and ordered, not {scale}")
    if not time_limit > 0:
        raise ValueError(f"time_limit must be positive, not {time_limit}")
    if hint is not None and not (math.isfinite(hint.ra) and -90.0 <= hint.dec <= 90.0
                                 and hint.radius > 0):
        raise ValueError(f"not a position and search radius: {hint}")


# --- The run -----------------------------------------------------------------------------


def _write_xylist(path: Path, x: np.ndarray, y: np.ndarray, flux: np.ndarray) -> Path:
    """Brightest first, in FITS pixel coordinates (see the module)."""
    order = np.argsort(flux, kind="stable")[::-1]
    columns = [fits.Column(name="X", format="D", array=x[order] + 1.0),
               fits.Column(name="Y", format="D", array=y[order] + 1.0),
               fits.Column(name="FLUX", format="D", array=flux[order])]
    fits.BinTableHDU.from_columns(columns).writeto(path)
    return path


def _write_config(path: Path, files: list[Path], time_limit: float) -> Path:
    """The engine's configuration: these indexes only, one CPU (the pipeline runs frames
    side by side), the CPU limit. Without ``inparallel`` the engine tries the indexes in
    turn and loads each only when it is tried."""
    lines = [f"cpulimit {math.ceil(time_limit)}"]
    lines += sorted({f"add_path {f.parent}" for f in files})
    lines += [f"index {f}" for f in files]
    path.write_text("\n".join(lines) + "\n")
    return path


def _command(solver: str, xylist: Path, config: Path, work: Path, width: int, height: int,
             *, hint: Hint | None, scale: tuple[float, float] | None, time_limit: float,
             tweak_order: int) -> list[str]:
    command = [solver, str(xylist), "--config", str(config), "--dir", str(work),
               "--temp-dir", str(work), "--out", "field", "--no-plots", "--overwrite",
               "--no-remove-lines", "--crpix-center",
               "--width", str(width), "--height", str(height),
               "--x-column", "X", "--y-column", "Y", "--sort-column", "FLUX",
               "--cpulimit", str(math.ceil(time_limit)), "--corr", str(work / "field.corr"),
               "--wcs", str(work / "field.wcs"), "--match", str(work / "field.match"),
               "--new-fits", "none", "--rdls", "none", "--index-xyls", "none",
               "--scamp", "none", "--kmz", "none"]
    if tweak_order > 0:
        command += ["--tweak-order", str(tweak_order)]
    else:
        command.append("--no-tweak")
    if scale is not None:
        command += ["--scale-units", "arcsecperpix", "--scale-low", f"{scale[0]:.6f}",
                    "--scale-high", f"{scale[1]:.6f}"]
    if hint is not None:
        command += ["--ra", f"{hint.ra % 360.0:.8f}", "--dec", f"{hint.dec:.8f}",
                    "--radius", f"{hint.radius:.6f}"]
    return command


def _run(command: list[str], work: Path, timeout: float) -> str:
    """The solver's output; its whole process group (solve-field runs astrometry-engine
    as a child) killed if it outlives ``timeout``."""
    with subprocess.Popen(command, cwd=work, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, errors="replace",
                          start_new_session=True) as process:
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise NotSolved(f"{SOLVER} killed after {timeout:.1f} s of wall clock") from None
    if process.returncode != 0:
        raise AstrometryError(f"{SOLVER} failed (exit {process.returncode}): "
                              f"{_tail(output)}")
    return output


def _tail(log: str, lines: int = 5) -> str:
    return " | ".join(line.strip() for line in log.strip().splitlines()[-lines:])


def _reason(log: str, time_limit: float) -> str:
    if re.search(r"cpu time limit|ran out of time|time limit reached", log, re.IGNORECASE):
        return f"no solution within the CPU limit ({time_limit:g} s)"
    if "Did not solve" in log:
        return "no solution: no index quad matched the field's stars"
    return f"no solution ({_tail(log, 3)})"


# --- The solution ------------------------------------------------------------------------


def _solution(work: Path, width: int, height: int, log: str, files: list[Path],
              elapsed: float) -> Solution:
    wcs, header = _read_wcs(work / "field.wcs")
    corr = _read_table(work / "field.corr")
    matched = len(corr)
    if matched == 0:
        raise AstrometryError("solved, but the correspondence file is empty")
    ra, dec = (float(v) for v in wcs.all_pix2world((width - 1) / 2, (height - 1) / 2, 0))
    cd = wcs.pixel_scale_matrix  # degrees per pixel; includes any PC/CDELT form
    determinant = float(np.linalg.det(cd))
    return Solution(
        wcs=wcs, header=header, ra=ra % 360.0, dec=dec,
        pixel_scale=math.sqrt(abs(determinant)) * 3600.0,
        rotation=math.degrees(math.atan2(cd[0, 1], cd[1, 1])),
        mirrored=determinant > 0, matched=matched, rms=_rms(wcs, corr),
        index=_solving_index(work / "field.match", log, files), elapsed=elapsed)


def _read_wcs(path: Path) -> tuple[WCS, fits.Header]:
    """The solved WCS, declared ICRS: astrometry.net writes EQUINOX 2000, which reads as
    FK5, but it solves in its index's frame, and index catalogues (Tycho-2, Gaia, the
    simulated sky) are ICRS.

    Its reference pixel is the image's centre (``--crpix-center``), where the CD matrix
    is the local scale and rotation: elsewhere the SIP terms add linear parts of their
    own (with the default reference pixel, a 1024² frame read 0.02° of rotation that the
    simulator did not put there)."""
    try:
        header = fits.getheader(path)
    except (OSError, ValueError) as exc:
        raise AstrometryError(f"solved, but its WCS file is unreadable: {exc}") from None
    header.remove("EQUINOX", ignore_missing=True)
    header["RADESYS"] = "ICRS"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FITSFixedWarning)  # astrometry.net's date cards
        wcs = WCS(header)
    if not wcs.has_celestial or wcs.naxis != 2:
        raise AstrometryError("solved, but its WCS file has no celestial WCS")
    return wcs, wcs.to_header(relax=True)


def _read_table(path: Path) -> fits.FITS_rec:
    try:
        with fits.open(path) as hdus:
            return hdus[1].data.copy() if hdus[1].data is not None else fits.FITS_rec([])
    except (OSError, ValueError, IndexError) as exc:
        raise AstrometryError(f"solved, but {path.name} is unreadable: {exc}") from None


#: A correspondence further than this many times the median separation is a chance
#: pairing (the solver accepts pairs a few pixels apart), not the solution's error: for
#: separations of a 2-D Gaussian error it is 5.9 sigma.
OUTLIER_FACTOR = 5.0


def _rms(wcs: WCS, corr: fits.FITS_rec) -> float:
    """Arcsec: the field stars, through the solved WCS (tweak included), against the
    index stars they were matched with, chance pairings left out (one blend paired with
    the wrong star once made a 0.01″ solution read 1.2″); the correspondence file's
    positions are 1-based."""
    ra, dec = wcs.all_pix2world(corr["field_x"], corr["field_y"], 1)
    separations = _separation(ra, dec, corr["index_ra"], corr["index_dec"])
    kept = separations[separations <= OUTLIER_FACTOR * np.median(separations)]
    if len(kept) == 0:
        kept = separations
    return float(np.sqrt(np.mean(kept ** 2)) * 3600.0)


def _separation(ra1, dec1, ra2, dec2) -> np.ndarray:
    """Degrees; haversine, exact at the arcsecond separations measured here."""
    r1, d1, r2, d2 = (np.radians(np.asarray(a, dtype=float)) for a in (ra1, dec1, ra2, dec2))
    h = np.sin((d2 - d1) / 2) ** 2 + np.cos(d1) * np.cos(d2) * np.sin((r2 - r1) / 2) ** 2
    return np.degrees(2 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


def _solving_index(match: Path, log: str, files: list[Path]) -> str:
    """The index file that solved: the engine names it in its log (by file name, which we
    give back as the full path given), else the match file has its unique id."""
    found = re.findall(r"solved with index (\S+)", log, re.IGNORECASE)
    if found:
        name = found[-1].rstrip(".")
        return next((str(f) for f in files if f.name == name), name)
    try:
        table = _read_table(match)
        return f"index id {int(table['INDEXID'][0])}, healpix {int(table['HEALPIX'][0])}"
    except (AstrometryError, KeyError, IndexError):
        return ""
