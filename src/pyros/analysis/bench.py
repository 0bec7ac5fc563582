"""``pyros bench analysis``: how fast and how right the pipeline is on this machine,
against the simulator's truth.

Three parts, all on frames of the example unit's camera (2048², 0.38″/px), written to
FITS and read back as the agent would:

1. **masters**: 10 bias, 10 darks, 10 twilight flats each combined, timed;
2. **a simulated night**: light frames over a range of seeing, airmass and pointings,
   each pointed 30″–2′ off what its header says (a real mount's error), calibrated
   with those masters, solved (hinted) by astrometry.net on the simulated sky's index,
   photometred against its catalogue; per stage and in total timed, and compared with
   the frame's truth: the solved centre, the RMS of the solution against the true star
   positions, the FWHM, zero point and limiting magnitude, the completeness at SNR 10;
3. **alert frames**: a fading afterglow injected at a random place near the alert's
   position, of a brightness giving SNR 5 to 60; the candidates of the error region
   compared with it: found, false, and the time from the file written to the
   candidates known.

The index of each pointing's cell is built before its frame is timed (a site builds it
once); its build time is reported apart.
"""

from __future__ import annotations

import math
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from pyros.analysis import environment, masters, pipeline
from pyros.analysis.calibration import Masters
from pyros.analysis.candidates import Region, separation
from pyros.analysis.catalogues import SimulatedSkyCatalogue
from pyros.analysis.context import Context
from pyros.analysis.frames import load_frame
from pyros.config.analysis import AnalysisConfig
from pyros.config.schema import Site
from pyros.simulators.sky import (
    Detector,
    FrameRequest,
    FrameType,
    SkyConditions,
    render_frame,
)
from pyros.simulators.transients import Transient
from pyros.simulators.truth import Truth, frame_truth

SITE = Site(name="San Pedro Martir", latitude=31.0439, longitude=-115.4637, elevation=2790.0)
DETECTOR = Detector(width=2048, height=2048, pixel_scale=0.38)
NIGHT_START = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
EXPOSURE = 60.0
CALIBRATION_FRAMES = 10
#: (seeing, altitude) of the night's frames, cycled.
CONDITIONS = ((1.0, 80.0), (1.3, 65.0), (1.6, 50.0), (2.0, 40.0), (2.5, 32.0), (1.2, 70.0))
ALERT_RADIUS = 2.0 / 60.0  # degrees: an X-ray telescope's refined error circle, generous


def _request(kind: FrameType, seed: int, minutes: float, **changes) -> FrameRequest:
    sky = kind is FrameType.LIGHT
    frame = FrameRequest(
        frame_type=kind, exposure=0.0 if kind is FrameType.BIAS else EXPOSURE,
        detector=DETECTOR, time=NIGHT_START + timedelta(minutes=minutes), site=SITE,
        ra=40.0 if sky else None, dec=30.0 if sky else None, filter_name="r",
        conditions=SkyConditions(-40.0, -30.0, 0.0, 120.0, 60.0) if sky else None,
        telescope="bench-sim", instrument="VIS", seed=seed)
    return replace(frame, **changes)


def _write(frame: FrameRequest, path: Path, *, header_offset: tuple[float, float] = (0, 0)
           ) -> Path:
    """The frame as the camera writes it; its header's pointing off by ``header_offset``
    (degrees of RA and Dec), as a mount's error would put it."""
    hdus = render_frame(frame)
    if header_offset != (0, 0):
        header = hdus[0].header
        for ra_key, dec_key in (("RA", "DEC"), ("CRVAL1", "CRVAL2")):
            if ra_key in header:
                header[ra_key] = header[ra_key] + header_offset[0]
                header[dec_key] = header[dec_key] + header_offset[1]
    hdus.writeto(path, overwrite=True)
    return path


def _percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def bench_masters(folder: Path, count: int, progress: Callable[[str], None]
                  ) -> tuple[Masters, dict]:
    figures: dict[str, Any] = {"calibration_frames": count}
    made = Masters()
    settings = AnalysisConfig(min_calibration_frames=min(count, 5))
    for kind, minutes in ((FrameType.BIAS, -200), (FrameType.DARK, -180),
                          (FrameType.FLAT, -160)):
        progress(f"masters: rendering {count} {kind.value.lower()} frames")
        paths = [_write(_request(kind, 100 + i, minutes + i,
                                 exposure=3.0 if kind is FrameType.FLAT else
                                 (0.0 if kind is FrameType.BIAS else EXPOSURE)),
                        folder / f"{kind.value.lower()}-{i}.fits")
                 for i in range(count)]
        began = time.perf_counter()
        frames = masters.load_set(paths)
        if kind is FrameType.BIAS:
            made.bias = masters.make_bias(frames, settings.min_calibration_frames)
        elif kind is FrameType.DARK:
            made.dark = masters.make_dark(frames, made.bias, settings.min_calibration_frames)
        else:
            made.flat = masters.make_flat(frames, made.bias, made.dark,
                                          settings.min_calibration_frames)
        master = getattr(made, kind.value.lower())
        master.write(folder / f"master-{kind.value.lower()}.fits")
        figures[f"master_{kind.value.lower()}_seconds"] = time.perf_counter() - began
        figures[f"master_{kind.value.lower()}_quality"] = master.quality
    return made, figures


def _completeness(truth: Truth, sources: np.ndarray, shape: tuple[int, int]) -> tuple[int, int]:
    """(found, expected) among the isolated, unsaturated truth stars of SNR ≥ 10."""
    stars = truth.stars
    sigma = truth.seeing / 2.3548 / truth.pixel_scale
    radius = 0.673 * truth.seeing / truth.pixel_scale
    pixels = math.pi * radius**2
    signal = stars.electrons * (1.0 - 2.0 ** (-4 * 0.673**2))
    noise = np.sqrt(signal + pixels * (truth.sky_electrons + truth.dark_electrons
                                       + truth.read_noise**2))
    snr = signal / noise
    peak = stars.electrons / (2 * math.pi * sigma**2) / truth.gain
    ny, nx = shape
    inside = (stars.x > 10) & (stars.x < nx - 11) & (stars.y > 10) & (stars.y < ny - 11)
    wanted = (snr >= 10) & inside & (peak < 30_000)
    xy = np.column_stack([stars.x, stars.y])
    if len(xy) > 1:
        gaps = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
        np.fill_diagonal(gaps, np.inf)
        wanted &= gaps.min(axis=1) > 3.0 * sigma * 2.3548
    found = 0
    for x, y in xy[wanted]:
        if len(sources) and np.min(np.hypot(sources["x"] - x, sources["y"] - y)) < 2 * sigma:
            found += 1
    return found, int(wanted.sum())


def _solution_rms(truth: Truth, frame) -> float | None:
    """Arcsec: the detected sources' solved positions against the true ones."""
    if frame.wcs is None or frame.sources is None:
        return None
    points = frame.sources[frame.sources["point"]]
    if not len(points):
        return None
    ra, dec = frame.wcs.all_pix2world(points["x"], points["y"], 0)
    errors = []
    for r, d, x, y in zip(ra, dec, points["x"], points["y"], strict=True):
        near = np.hypot(truth.stars.x - x, truth.stars.y - y)
        if len(near) and near.min() < 1.0:
            i = int(np.argmin(near))
            errors.append(float(separation(np.array([truth.stars.ra[i]]),
                                           np.array([truth.stars.dec[i]]), r, d)[0]) * 3600)
    return float(np.sqrt(np.mean(np.square(errors)))) if errors else None


def _context(made: Masters, cache: Path, region: Region | None = None,
             cutouts: Path | None = None) -> Context:
    settings = AnalysisConfig()
    return Context(settings, masters=made, catalogue=SimulatedSkyCatalogue(),
                   index=lambda f: environment.indexes_for(f, settings, cache=cache),
                   region=region, cutouts=cutouts)


def _prebuild_index(path: Path, cache: Path) -> float:
    began = time.perf_counter()
    environment.simulated_index(load_frame(path), cache)
    return time.perf_counter() - began


def bench_night(made: Masters, folder: Path, cache: Path, count: int,
                progress: Callable[[str], None]) -> dict[str, Any]:
    rng = np.random.default_rng(2026)
    rows, stages, builds = [], {}, []
    for number in range(count):
        seeing, altitude = CONDITIONS[number % len(CONDITIONS)]
        ra, dec = float(rng.uniform(0, 360)), float(rng.uniform(-20, 60))
        frame = _request(FrameType.LIGHT, 1000 + number, 30.0 * number, ra=ra, dec=dec,
                         seeing=seeing, conditions=SkyConditions(-40.0, -30.0, 0.0, 120.0,
                                                                 altitude))
        error = rng.uniform(30, 120) / 3600.0
        angle = rng.uniform(0, 2 * math.pi)
        offset = (error * math.cos(angle) / math.cos(math.radians(dec)),
                  error * math.sin(angle))
        path = _write(frame, folder / f"light-{number}.fits", header_offset=offset)
        truth = frame_truth(frame)
        builds.append(_prebuild_index(path, cache))
        progress(f"night: frame {number + 1}/{count} (seeing {seeing}″, airmass "
                 f"{truth.airmass:.2f})")
        began = time.perf_counter()
        loaded = load_frame(path)
        context = _context(made, cache)
        report = pipeline.analyse(loaded, context)
        total = time.perf_counter() - began
        for name, seconds in loaded.timings.items():
            stages.setdefault(name, []).append(seconds)
        stages.setdefault("read", []).append(total - sum(loaded.timings.values()))
        results = loaded.results
        found, expected = _completeness(truth, loaded.sources if loaded.sources is not None
                                        else np.zeros(0), loaded.shape)
        centre = None
        if results.get("solved"):
            centre = float(separation(np.array([results["centre_ra"]]),
                                      np.array([results["centre_dec"]]), truth.ra,
                                      truth.dec)[0]) * 3600
        zp_truth = truth.zero_point - 2.5 * math.log10(truth.gain)
        rows.append({
            "ok": report.ok, "seconds": total, "solved": bool(results.get("solved")),
            "centre_error": centre, "solver_rms": results.get("astrometric_rms_arcsec"),
            "rms_against_truth": _solution_rms(truth, loaded),
            "fwhm_error": results.get("fwhm_arcsec", math.nan) / truth.seeing - 1,
            "zero_point_error": results.get("zero_point", math.nan) - zp_truth,
            "limit_error": results.get("limiting_magnitude", math.nan)
            - truth.limiting_magnitude,
            "found": found, "expected": expected})
    return {"rows": rows, "stages": stages, "index_builds": builds}


def bench_alerts(made: Masters, folder: Path, cache: Path, count: int,
                 progress: Callable[[str], None]) -> dict[str, Any]:
    rng = np.random.default_rng(7)
    outcomes = []
    for number in range(count):
        ra, dec = float(rng.uniform(0, 360)), float(rng.uniform(-10, 50))
        moment = NIGHT_START + timedelta(hours=2, minutes=10 * number)
        base = _request(FrameType.LIGHT, 5000 + number, 120 + 10 * number, ra=ra, dec=dec)
        truth0 = frame_truth(base)
        target_snr = float(rng.uniform(5, 60))
        magnitude = _magnitude_for_snr(truth0, target_snr)
        where = rng.uniform(-1, 1, 2) * (1.0 / 60)
        t_ra = ra + where[0] / math.cos(math.radians(dec))
        t_dec = dec + where[1]
        afterglow = Transient(ra=t_ra % 360, dec=t_dec, magnitude=magnitude,
                              t0=moment - timedelta(seconds=60), decay=0.0)
        frame = replace(base, transients=(afterglow,), time=moment)
        path = _write(frame, folder / f"alert-{number}.fits")
        truth = frame_truth(frame)
        _prebuild_index(path, cache)
        progress(f"alerts: frame {number + 1}/{count} (afterglow SNR ≈ {target_snr:.0f})")
        region = Region(t_ra + float(rng.uniform(-20, 20)) / 3600, t_dec, ALERT_RADIUS)
        began = time.perf_counter()
        loaded = load_frame(path)
        context = _context(made, cache, region, folder / "cutouts")
        pipeline.analyse(loaded, context)
        seconds = time.perf_counter() - began
        tx, ty = truth.transients.x[0], truth.transients.y[0]
        hits = [c for c in context.candidates if math.hypot(c.x - tx, c.y - ty) < 3.0]
        outcomes.append({"snr": target_snr, "found": bool(hits),
                         "false": len(context.candidates) - len(hits), "seconds": seconds})
    return {"rows": outcomes}


def _magnitude_for_snr(truth: Truth, snr: float) -> float:
    radius = 0.673 * truth.seeing / truth.pixel_scale
    pixels = math.pi * radius**2
    background = pixels * (truth.sky_electrons + truth.dark_electrons + truth.read_noise**2)
    signal = (snr**2 + math.sqrt(snr**4 + 4 * snr**2 * background)) / 2
    electrons = signal / (1.0 - 2.0 ** (-4 * 0.673**2))
    return truth.zero_point - 2.5 * math.log10(electrons / truth.exposure)


def run_analysis_bench(frames: int = 6, alerts: int = 10,
                       calibration_frames: int = CALIBRATION_FRAMES,
                       progress: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="pyros-bench-analysis-") as name:
        folder = Path(name)
        cache = folder / "indexes"
        made, figures = bench_masters(folder, calibration_frames, progress)
        night = bench_night(made, folder, cache, frames, progress)
        alert = bench_alerts(made, folder, cache, alerts, progress)
    return summarise(figures, night, alert)


def summarise(figures: dict, night: dict, alert: dict) -> dict[str, Any]:
    rows = night["rows"]

    def finite(key: str) -> list[float]:
        return [r[key] for r in rows if r[key] is not None and math.isfinite(r[key])]

    found = sum(r["found"] for r in rows)
    expected = sum(r["expected"] for r in rows)
    bright = [r for r in alert["rows"] if r["snr"] >= 10]
    report = {
        **{k: v for k, v in figures.items() if not k.endswith("_quality")},
        "frames": len(rows),
        "frame_seconds_p50": _percentile([r["seconds"] for r in rows], 50),
        "frame_seconds_max": max((r["seconds"] for r in rows), default=None),
        "stage_seconds_p50": {name: statistics.median(values)
                              for name, values in night["stages"].items()},
        "index_build_seconds_p50": _percentile(night["index_builds"], 50),
        "solved": sum(r["solved"] for r in rows),
        "centre_error_arcsec_max": max(finite("centre_error"), default=None),
        "solver_rms_arcsec_max": max(finite("solver_rms"), default=None),
        "rms_against_truth_arcsec_max": max(finite("rms_against_truth"), default=None),
        "fwhm_error_max": max(map(abs, finite("fwhm_error")), default=None),
        "zero_point_error_max": max(map(abs, finite("zero_point_error")), default=None),
        "limit_error_max": max(map(abs, finite("limit_error")), default=None),
        "completeness_snr10": found / expected if expected else None,
        "alert_frames": len(alert["rows"]),
        "afterglows_found_snr10": (sum(r["found"] for r in bright) / len(bright)
                                   if bright else None),
        "afterglows_snr10": len(bright),
        "afterglows_found_below_snr10": sum(r["found"] for r in alert["rows"]
                                            if r["snr"] < 10),
        "false_candidates_per_frame": (sum(r["false"] for r in alert["rows"])
                                       / len(alert["rows"]) if alert["rows"] else None),
        "file_to_candidates_seconds_p50": _percentile([r["seconds"] for r in alert["rows"]],
                                                      50),
    }
    report["master_quality"] = {k.removesuffix("_quality").removeprefix("master_"): v
                                for k, v in figures.items() if k.endswith("_quality")}
    return report
