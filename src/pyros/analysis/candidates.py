"""The transient of an alert: sources in the event's error region that the reference
catalogue does not have, or has much fainter.

A detected, point-like source inside the region is a candidate when

- no reference star lies within one FWHM of it and it is brighter than the catalogue's
  completeness limit (fainter, the catalogue cannot tell: ``NEW`` would be a guess), or
- the reference star there is fainter than it by more than ``margin`` magnitudes
  (``BRIGHTER``: a flare, or an afterglow on top of a faint star).

Each candidate gets two cutouts, the frame around it and the reference: the catalogue's
stars drawn at the frame's FWHM and zero point on the same pixels, shown with the same
stretch, so that a person sees at once what is new.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
from PIL import Image

from pyros.analysis.catalogues import Stars
from pyros.analysis.detection import BAD_FLAGS
from pyros.analysis.frames import Frame
from pyros.analysis.photometry import match

CUTOUT = 64  # pixels on a side
MIN_SNR = 5.0


class CandidateKind(StrEnum):
    NEW = "NEW"
    BRIGHTER = "BRIGHTER"


@dataclass(frozen=True)
class Region:
    ra: float
    dec: float
    radius: float  # degrees


@dataclass
class Candidate:
    kind: CandidateKind
    ra: float
    dec: float
    x: float
    y: float
    mag: float
    mag_err: float
    snr: float
    reference_mag: float | None
    distance: float  # degrees from the region's centre
    new_cutout: Path | None = None
    reference_cutout: Path | None = None


def separation(ra: np.ndarray, dec: np.ndarray, ra0: float, dec0: float) -> np.ndarray:
    """Degrees, haversine."""
    d0, d = math.radians(dec0), np.radians(dec)
    h = np.sin((d - d0) / 2) ** 2 + \
        math.cos(d0) * np.cos(d) * np.sin(np.radians(ra - ra0) / 2) ** 2
    return np.degrees(2 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


def find_candidates(frame: Frame, reference: Stars, region: Region, *, margin: float,
                    limit: float) -> list[Candidate]:
    """See the module. The frame must be solved and its sources have magnitudes."""
    sources, wcs = frame.sources, frame.wcs
    if sources is None or wcs is None:
        raise ValueError("candidates need a solved frame with its sources")
    fwhm = float(frame.results.get("source_fwhm_pixels", math.nan))
    if not math.isfinite(fwhm):
        fwhm = 4.0
    distance = separation(sources["ra"], sources["dec"], region.ra, region.dec)
    inside = (distance <= region.radius) & (sources["flags"] < BAD_FLAGS) & \
        (sources["snr"] >= MIN_SNR) & np.isfinite(sources["mag"]) & \
        (np.abs(sources["fwhm"] - fwhm) <= 0.5 * fwhm)  # point-like: no cosmic, no galaxy
    if not inside.any():
        return []
    ref_x, ref_y = wcs.all_world2pix(reference.ra, reference.dec, 0) if len(reference) \
        else (np.array([]), np.array([]))
    chosen = np.flatnonzero(inside)
    matched = match(sources["x"][chosen], sources["y"][chosen], np.asarray(ref_x),
                    np.asarray(ref_y), radius=max(2.0, fwhm))
    found = []
    for index, ref in zip(chosen, matched, strict=True):
        source = sources[index]
        if ref < 0:
            if source["mag"] >= limit:
                continue
            kind, ref_mag = CandidateKind.NEW, None
        else:
            ref_mag = float(reference.mag[ref])
            if source["mag"] > ref_mag - margin:
                continue
            kind = CandidateKind.BRIGHTER
        found.append(Candidate(kind, float(source["ra"]), float(source["dec"]),
                               float(source["x"]), float(source["y"]), float(source["mag"]),
                               float(source["mag_err"]), float(source["snr"]), ref_mag,
                               float(distance[index])))
    found.sort(key=lambda c: c.mag)
    return found


def write_cutouts(frame: Frame, candidate: Candidate, reference: Stars, zero_point: float,
                  directory: Path, stem: str) -> None:
    """The frame and the reference around ``candidate``, as two PNGs in ``directory``."""
    if frame.wcs is None or not frame.exposure:
        raise ValueError("cutouts need a solved frame with an exposure time")
    half = CUTOUT // 2
    cx, cy = round(candidate.x), round(candidate.y)
    ny, nx = frame.shape
    x0, y0 = max(0, cx - half), max(0, cy - half)
    x1, y1 = min(nx, cx + half), min(ny, cy + half)
    level = frame.background.level[y0:y1, x0:x1] if frame.background is not None else 0.0
    new = frame.data[y0:y1, x0:x1] - level
    drawn = _draw_reference(frame, reference, zero_point, x0, y0, x1, y1)
    low, high = _stretch_limits(new)
    directory.mkdir(parents=True, exist_ok=True)
    candidate.new_cutout = directory / f"{stem}-new.png"
    candidate.reference_cutout = directory / f"{stem}-ref.png"
    _png(new, low, high).save(candidate.new_cutout)
    _png(drawn, low, high).save(candidate.reference_cutout)


def _draw_reference(frame: Frame, reference: Stars, zero_point: float, x0: int, y0: int,
                    x1: int, y1: int) -> np.ndarray:
    image = np.zeros((y1 - y0, x1 - x0))
    if not len(reference):
        return image
    x, y = frame.wcs.all_world2pix(reference.ra, reference.dec, 0)
    fwhm = float(frame.results.get("fwhm_pixels", 4.0))
    sigma = fwhm / (2.0 * math.sqrt(2.0 * math.log(2.0)))
    pad = 4 * sigma
    near = (x > x0 - pad) & (x < x1 + pad) & (y > y0 - pad) & (y < y1 + pad)
    yy, xx = np.mgrid[y0:y1, x0:x1]
    for sx, sy, mag in zip(x[near], y[near], reference.mag[near], strict=True):
        flux = frame.exposure * 10.0 ** (-0.4 * (mag - zero_point))
        image += flux / (2 * math.pi * sigma**2) * np.exp(
            -((xx - sx) ** 2 + (yy - sy) ** 2) / (2 * sigma**2))
    return image


def _stretch_limits(image: np.ndarray) -> tuple[float, float]:
    finite = image[np.isfinite(image)]
    if not finite.size:
        return 0.0, 1.0
    noise = 1.4826 * float(np.median(np.abs(finite - np.median(finite)))) or 1.0
    return -2.0 * noise, max(float(np.percentile(finite, 99.9)), 10.0 * noise)


def _png(image: np.ndarray, low: float, high: float) -> Image.Image:
    """asinh stretch, the FITS y axis upwards, grey, four screen pixels a pixel."""
    scaled = np.clip((np.nan_to_num(image) - low) / (high - low), 0.0, 1.0)
    stretched = np.arcsinh(10.0 * scaled) / math.asinh(10.0)
    pixels = (255 * stretched[::-1]).astype(np.uint8)
    return Image.fromarray(pixels, mode="L").resize((4 * pixels.shape[1], 4 * pixels.shape[0]),
                                                   Image.NEAREST)
