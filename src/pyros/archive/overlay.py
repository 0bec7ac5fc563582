"""A frame's detected sources, placed over its preview.

The pipeline writes its sources as the ``CAT`` table of the calibrated frame and of the
catalogue file (``analysis/products.py``): x, y in 0-based pixels of the frame, with
ra, dec, flux and the ellipse's semi-axis a. The preview is not the frame: it is binned
by an integer factor to at most ``PREVIEW_SIZE`` pixels (the rows and columns past the
last whole block dropped) and flipped so that north is up, its top row being the
frame's last (``instruments.previews.stretch``). A circle is drawn where the source
falls in the preview, in the preview's own pixels (the SVG's viewBox), so that it stays
on its star whatever size the browser shows the picture at.

A catalogue from elsewhere may give only ra, dec: the frame's celestial WCS, when its
header has one, then gives the pixels.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from astropy.io import fits

from pyros.archive.previews import PREVIEW_SIZE

#: More circles than this hide the sky they mark: the brightest are drawn.
MAX_CIRCLES = 1500
CATALOGUE_EXTENSION = "CAT"


@dataclass(frozen=True)
class Geometry:
    """How a frame of ``naxis1`` × ``naxis2`` pixels becomes its preview."""

    factor: int
    width: int
    height: int

    @classmethod
    def of(cls, naxis1: int, naxis2: int, size: int = PREVIEW_SIZE) -> Geometry:
        factor = max(1, -(-max(naxis1, naxis2) // size))  # as stretch() bins
        return cls(factor, naxis1 // factor, naxis2 // factor)

    def place(self, x: float, y: float) -> tuple[float, float] | None:
        """The preview point of frame pixel (x, y); None when it was cropped off."""
        px, py = (x + 0.5) / self.factor, (y + 0.5) / self.factor
        if not (0.0 <= px <= self.width and 0.0 <= py <= self.height):
            return None
        return px, self.height - py


@dataclass(frozen=True)
class Overlay:
    """The circles to draw (preview pixels) and what they came from."""

    width: int
    height: int
    circles: tuple[tuple[float, float, float], ...]
    total: int  # sources in the table, drawn or not
    source: str  # the file's basename

    @property
    def truncated(self) -> bool:
        return len(self.circles) < self.total


def geometry_of(headers: dict[str, Any]) -> Geometry | None:
    """The preview geometry from a frame's primary header (its JSON in the catalogue)."""
    width, height = headers.get("NAXIS1"), headers.get("NAXIS2")
    if not isinstance(width, int) or not isinstance(height, int) or width < 1 or height < 1:
        return None
    return Geometry.of(width, height)


def _column(table: Any, name: str) -> np.ndarray | None:
    names = {n.upper(): n for n in table.columns.names}
    return np.asarray(table[names[name]], dtype=float) if name in names else None


def _pixels_from_sky(table: Any, headers: dict[str, Any]
                     ) -> tuple[np.ndarray, np.ndarray] | None:
    ra, dec = _column(table, "RA"), _column(table, "DEC")
    if ra is None or dec is None or not str(headers.get("CTYPE1", "")).startswith("RA"):
        return None
    from astropy.wcs import WCS, FITSFixedWarning

    header = fits.Header()
    for key, value in headers.items():
        if key not in ("COMMENT", "HISTORY") and not isinstance(value, list):
            header[key] = value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FITSFixedWarning)
        wcs = WCS(header, naxis=2)
    if not wcs.has_celestial:
        return None
    x, y = wcs.all_world2pix(ra, dec, 0)
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def read_overlay(path: Path, geometry: Geometry, headers: dict[str, Any]) -> Overlay | None:
    """The circles of the ``CAT`` table in ``path`` over a preview of ``geometry``;
    None when the file has no such table or no usable positions. Only the table is
    read: the calibrated frame's pixels are not loaded."""
    try:
        with fits.open(path, memmap=False, lazy_load_hdus=True) as hdus:
            if CATALOGUE_EXTENSION not in hdus:
                return None
            table = hdus[CATALOGUE_EXTENSION].data
            if table is None:
                return Overlay(geometry.width, geometry.height, (), 0, path.name)
            x, y = _column(table, "X"), _column(table, "Y")
            if x is None or y is None:
                positions = _pixels_from_sky(table, headers)
                if positions is None:
                    return None
                x, y = positions
            flux, axis = _column(table, "FLUX"), _column(table, "A")
    except (OSError, ValueError, KeyError, IndexError) as exc:
        raise OverlayError(f"{path.name}: {exc}") from exc
    order = np.argsort(-np.nan_to_num(flux, nan=-np.inf)) if flux is not None \
        else np.arange(len(x))
    smallest = max(geometry.width, geometry.height) / 120.0
    circles = []
    for i in order:
        if len(circles) == MAX_CIRCLES:
            break
        if not (math.isfinite(x[i]) and math.isfinite(y[i])):
            continue
        point = geometry.place(float(x[i]), float(y[i]))
        if point is None:
            continue
        size = float(axis[i]) if axis is not None and math.isfinite(axis[i]) else 0.0
        radius = max(smallest, 3.0 * size / geometry.factor)
        circles.append((round(point[0], 2), round(point[1], 2), round(radius, 2)))
    return Overlay(geometry.width, geometry.height, tuple(circles), len(x), path.name)


class OverlayError(Exception):
    """A catalogue that cannot be read: the page says so and shows the bare preview."""
