"""The all-sky map of the Alerts pages: the events' error circles over the part of the
sky the telescope can reach tonight, drawn on the server as SVG.

The question the map answers at a glance is "could we have observed it, and where is it
compared with what is up tonight?", so it is an equal-area Hammer–Aitoff projection in
equatorial coordinates (RA increasing to the left, as on the sky, RA 12 h in the middle):
an error circle's size on the map is its size on the sky. Hammer–Aitoff, not Mollweide,
because its formula is closed (no iteration per point).

An error circle is a small circle on the sphere, sampled at :data:`CIRCLE_POINTS` points
and projected; one crossing the map's edge (RA 0 h) is cut there and its parts drawn on
both sides, and one containing a pole is closed through the pole. Circles too small to
see are drawn as points.

Tonight's region comes from the scheduler's own sky (:mod:`pyros.scheduling.sky`) at the
unit's site: the cells of a coarse RA/Dec grid that rise above airmass 2 (and above the
horizon profile, the mount's lowest altitude and its hour-angle limit) at some instant of
the rest of tonight's dark time. It is computed once per night and grid instant (five
minutes), so a page refreshed every few seconds costs nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import lru_cache

import numpy as np

from pyros.config.schema import UnitConfig
from pyros.scheduling.problem import SiteSpec, airmass_altitude
from pyros.scheduling.sky import GRID_STEP, NightSky, night_sky
from pyros.scheduling.tonight import current_night, night_moon
from pyros.scheduling.unit import site_of

#: The RA at the middle of the map; the map's edge is 12 h away.
CENTRE_RA = 180.0
WIDTH, HEIGHT = 780.0, 400.0
CX, CY = 390.0, 196.0
RX = 355.0  # half the width of the map's ellipse; its half-height is RX / 2
SCALE = RX / (2.0 * math.sqrt(2.0))

CIRCLE_POINTS = 64
#: Error radii below this (degrees) are a few pixels across: drawn as a point.
POINT_BELOW = 1.5
#: Error circles this large (degrees) say nothing about where the source is.
MAX_DRAWN = 90.0
#: Longest edge (degrees) before projecting: longer ones are cut so that they bend.
DENSIFY = 2.0

AIRMASS = 2.0
GRID = 3.0  # degrees: the visibility grid's cells
TIME_STRIDE = 3  # every third instant of the night's five-minute grid


# --- Projection --------------------------------------------------------------------------


def map_longitude(ra: np.ndarray | float) -> np.ndarray:
    """RA (degrees) to the map's longitude in [−180, 180), 0 at :data:`CENTRE_RA`."""
    return (np.asarray(ra, dtype=float) - CENTRE_RA + 180.0) % 360.0 - 180.0


def project(longitude: np.ndarray | float, dec: np.ndarray | float
            ) -> tuple[np.ndarray, np.ndarray]:
    """Map longitude and declination (degrees) to SVG coordinates; RA grows leftwards."""
    lam = np.radians(np.asarray(longitude, dtype=float))
    phi = np.radians(np.asarray(dec, dtype=float))
    z = np.sqrt(1.0 + np.cos(phi) * np.cos(lam / 2.0))
    x = 2.0 * math.sqrt(2.0) * np.cos(phi) * np.sin(lam / 2.0) / z
    y = math.sqrt(2.0) * np.sin(phi) / z
    return CX - SCALE * x, CY - SCALE * y


def project_radec(ra: float, dec: float) -> tuple[float, float]:
    x, y = project(map_longitude(ra), dec)
    return round(float(x), 1), round(float(y), 1)


Piece = list[tuple[float, float]]  # (map longitude, dec) vertices of one polygon


def _path(pieces: Iterable[Piece]) -> str:
    """SVG path data, one closed subpath per piece."""
    parts = []
    for piece in pieces:
        xs, ys = project([p[0] for p in piece], [p[1] for p in piece])
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
        parts.append(f"M{points}Z")
    return "".join(parts)


def _open_path(longitude: Sequence[float], dec: Sequence[float]) -> str:
    xs, ys = project(longitude, dec)
    return "M" + " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))


# --- Error circles -----------------------------------------------------------------------


def circle_ring(ra: float, dec: float, radius: float, points: int = CIRCLE_POINTS
                ) -> tuple[np.ndarray, np.ndarray]:
    """The points at ``radius`` degrees from (``ra``, ``dec``) on the sphere, in order."""
    bearing = np.linspace(0.0, 2.0 * math.pi, points, endpoint=False)
    d, r = math.radians(dec), math.radians(radius)
    sin_dec = math.sin(d) * math.cos(r) + math.cos(d) * math.sin(r) * np.cos(bearing)
    dec2 = np.arcsin(np.clip(sin_dec, -1.0, 1.0))
    ra2 = math.radians(ra) + np.arctan2(np.sin(bearing) * math.sin(r) * math.cos(d),
                                        math.cos(r) - math.sin(d) * sin_dec)
    return np.degrees(ra2) % 360.0, np.degrees(dec2)


def _wrap(angle: np.ndarray) -> np.ndarray:
    return (angle + 180.0) % 360.0 - 180.0


def _clip(piece: Piece, bound: float, keep_below: bool) -> Piece:
    """Sutherland–Hodgman against one vertical line of the (longitude, dec) plane."""
    if not piece:
        return []

    def inside(p: tuple[float, float]) -> bool:
        return p[0] <= bound if keep_below else p[0] >= bound

    out: Piece = []
    previous = piece[-1]
    for current in piece:
        if inside(current) != inside(previous):
            t = (bound - previous[0]) / (current[0] - previous[0])
            out.append((bound, previous[1] + t * (current[1] - previous[1])))
        if inside(current):
            out.append(current)
        previous = current
    return out


def _densify(piece: Piece, step: float = DENSIFY) -> Piece:
    """Extra vertices on long edges (the map's edge, a pole's), which are curves."""
    out: Piece = []
    for (l0, d0), (l1, d1) in zip(piece, piece[1:] + piece[:1], strict=True):
        count = max(1, math.ceil(max(abs(l1 - l0), abs(d1 - d0)) / step))
        out.extend((l0 + (l1 - l0) * k / count, d0 + (d1 - d0) * k / count)
                   for k in range(count))
    return out


def _unwrapped_ring(ra: float, dec: float, radius: float, points: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The ring's map longitudes made continuous (the last one closes the ring: equal to
    the first, or 360° from it when the ring goes around a pole), and its declinations."""
    ring_ra, ring_dec = circle_ring(ra, dec, radius, points)
    steps = _wrap(np.diff(ring_ra, append=ring_ra[0]))
    longitude = float(map_longitude(ring_ra[0])) + np.concatenate(([0.0], np.cumsum(steps)))
    return longitude, ring_dec


def circle_pieces(ra: float, dec: float, radius: float) -> list[Piece]:
    """The error circle as polygons of the map: one, or two when it crosses the edge.

    The ring's longitudes are unwrapped so that the circle is one polygon of the
    (longitude, dec) plane, possibly beyond ±180°; that polygon and its copies 360° to
    either side are clipped to the map, so what passes the edge comes back on the
    other side. A ring that goes once around a pole is closed through it."""
    longitude, ring_dec = _unwrapped_ring(ra, dec, radius, CIRCLE_POINTS)
    if abs(longitude[-1] - longitude[0]) > 180.0:
        # Around a pole, whose side the circle is on: the ring's longitudes change fast,
        # so it is sampled finer (straight edges there would cut the cap short).
        longitude, ring_dec = _unwrapped_ring(ra, dec, radius, 4 * CIRCLE_POINTS)
    piece: Piece = list(zip(longitude[:-1].tolist(), ring_dec.tolist(), strict=True))
    if abs(longitude[-1] - longitude[0]) > 180.0:
        pole = 90.0 if dec >= 0 else -90.0  # within 90°, only this one can be inside
        end = float(longitude[-1])
        piece += [(end, float(ring_dec[0])), (end, pole), (float(longitude[0]), pole)]
    pieces = []
    for shift in (-360.0, 0.0, 360.0):
        shifted = [(lon + shift, d) for lon, d in piece]
        clipped = _clip(_clip(shifted, 180.0, keep_below=True), -180.0, keep_below=False)
        if len(clipped) >= 3 and max(p[0] for p in clipped) - min(p[0] for p in clipped) > 1e-9:
            pieces.append(_densify(clipped))
    return pieces


# --- What the map shows ------------------------------------------------------------------


@dataclass(frozen=True)
class Circle:
    """An event to draw: where, how large, how it is coloured, what it says."""

    key: str
    ra: float
    dec: float
    radius: float | None  # degrees; None: no error given
    css: str  # the class saying its status or decision
    title: str
    url: str = ""
    highlight: bool = False


@dataclass(frozen=True)
class Mark:
    """An event as drawn: a polygon (``path``) or a point (``x``, ``y``)."""

    circle: Circle
    path: str
    x: float
    y: float

    @property
    def is_point(self) -> bool:
        return not self.path


def mark_of(circle: Circle) -> Mark:
    x, y = project_radec(circle.ra, circle.dec)
    radius = circle.radius or 0.0
    if radius < POINT_BELOW or radius >= MAX_DRAWN:
        return Mark(circle, "", x, y)
    return Mark(circle, _path(circle_pieces(circle.ra, circle.dec, radius)), x, y)


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "middle"
    inside: bool = False  # on the sky, not beside the map


@dataclass(frozen=True)
class NightRegion:
    """The sky the telescope reaches in the rest of tonight's dark time."""

    night: date
    start: datetime | None  # the dark time the region covers; None: none left
    end: datetime | None
    path: str
    moon: tuple[float, float] | None = None
    moon_illumination: int = 0
    airmass: float = AIRMASS
    altitude: float = round(airmass_altitude(AIRMASS), 1)
    cells: np.ndarray | None = field(default=None, repr=False, compare=False)

    def covers(self, ra: float, dec: float) -> bool:
        """Whether the grid cell of (``ra``, ``dec``) is in the region."""
        if self.cells is None:
            return False
        column = int((float(map_longitude(ra)) + 180.0) // GRID)
        row = min(int((dec + 90.0) // GRID), self.cells.shape[0] - 1)
        return bool(self.cells[row, min(column, self.cells.shape[1] - 1)])


@dataclass(frozen=True)
class SkyMap:
    marks: list[Mark]
    region: NightRegion | None
    width: float = WIDTH
    height: float = HEIGHT

    @property
    def outline(self) -> str:
        return _OUTLINE

    @property
    def meridians(self) -> list[str]:
        return _MERIDIANS

    @property
    def parallels(self) -> list[str]:
        return _PARALLELS

    @property
    def labels(self) -> list[Label]:
        return _LABELS

    @property
    def polygons(self) -> list[Mark]:
        """Large circles first, so that small ones stay on top and clickable."""
        shapes = [m for m in self.marks if not m.is_point]
        return sorted(shapes, key=lambda m: -(m.circle.radius or 0.0))

    @property
    def points(self) -> list[Mark]:
        return [m for m in self.marks if m.is_point]


def _graticule() -> tuple[str, list[str], list[str], list[Label]]:
    dec = np.linspace(-90.0, 90.0, 91)
    edge = np.full_like(dec, 180.0)
    outline = _open_path(edge, dec) + " " + _open_path(-edge[::-1], dec[::-1])[1:] + "Z"
    meridians = [_open_path(np.full_like(dec, lon), dec) for lon in range(-150, 180, 30)]
    lon = np.linspace(-180.0, 180.0, 73)
    parallels = [_open_path(lon, np.full_like(lon, d)) for d in (-60, -30, 0, 30, 60)]
    labels = []
    for hours in range(2, 24, 2):
        x, y = project(map_longitude(hours * 15.0), 0.0)
        labels.append(Label(round(float(x), 1), round(float(y) + 12.0, 1), f"{hours}h",
                            inside=True))
    right, middle = project(-180.0, 0.0), project(180.0, 0.0)
    labels.append(Label(round(float(right[0]) + 4.0, 1), round(float(right[1]) + 4.0, 1),
                        "0h", "start"))
    labels.append(Label(round(float(middle[0]) - 4.0, 1), round(float(middle[1]) + 4.0, 1),
                        "24h", "end"))
    for d in (-60, -30, 30, 60):
        x, y = project(180.0, float(d))
        labels.append(Label(round(float(x) - 4.0, 1), round(float(y) + 4.0, 1),
                            f"{d:+d}°", "end"))
    return outline, meridians, parallels, labels


_OUTLINE, _MERIDIANS, _PARALLELS, _LABELS = _graticule()


def sky_map(circles: Iterable[Circle], region: NightRegion | None) -> SkyMap:
    return SkyMap([mark_of(c) for c in circles], region)


# --- Tonight's sky -----------------------------------------------------------------------


def night_region(unit: UnitConfig, now: datetime) -> NightRegion:
    """The region for tonight (``scheduling.tonight``: the night of ``now`` until its
    dark time is over, then the coming one), from now on."""
    site = site_of(unit)
    night = current_night(site, now)
    sky = night_sky(site, night)
    if not sky.has_dark_time:
        return NightRegion(night, None, None, "")
    start = max(sky.dark_seconds[0], sky.seconds_of(now))
    region = _region(site, night, math.ceil(start / GRID_STEP - 1e-9))
    return replace(region, start=sky.at(start)) if region.start is not None else region


@lru_cache(maxsize=16)
def _region(site: SiteSpec, night: date, first: int) -> NightRegion:
    sky = night_sky(site, night)
    dusk, dawn = sky.dark_seconds
    last = math.floor(dawn / GRID_STEP + 1e-9)
    if last < first:
        return NightRegion(night, None, None, "")
    columns = slice(first, last + 1, TIME_STRIDE)
    seen = _visible_cells(sky, columns)
    moon = night_moon(sky)  # the instant every page gives tonight's moon at
    moon_x, moon_y = project_radec(moon.ra, moon.dec)
    return NightRegion(
        night, sky.at(max(dusk, first * GRID_STEP)), sky.at(dawn), _region_path(seen),
        moon=(moon_x, moon_y), moon_illumination=moon.illumination, cells=seen)


def _cell_centres() -> tuple[np.ndarray, np.ndarray]:
    longitude = np.arange(-180.0 + GRID / 2, 180.0, GRID)
    dec = np.arange(-90.0 + GRID / 2, 90.0, GRID)
    return longitude, dec


def _visible_cells(sky: NightSky, columns: slice) -> np.ndarray:
    """(dec rows, longitude columns): above every floor at some instant of ``columns``."""
    longitude, dec = _cell_centres()
    lon_grid, dec_grid = np.meshgrid(longitude, dec)
    ra = (lon_grid.ravel() + CENTRE_RA) % 360.0
    alt, az, ha = sky.altaz(ra, dec_grid.ravel(), columns=columns)
    site = sky.site
    floor = np.maximum(sky.horizon_altitude(az),
                       max(site.min_altitude, airmass_altitude(AIRMASS)))
    good = alt >= floor
    if site.max_hour_angle is not None:
        good &= np.abs(ha) <= site.max_hour_angle
    return good.any(axis=1).reshape(dec_grid.shape)


def _runs(row: np.ndarray) -> list[tuple[int, int]]:
    """The [first, last] cells of each stretch of True in a row."""
    padded = np.concatenate(([False], row, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _region_path(seen: np.ndarray) -> str:
    """The visible cells as a few polygons: rows whose stretches overlap one to one are
    stacked into one shape, outlined through the middle of each row's ends (smoother
    than the cells' staircase, and within half a cell of it)."""
    _, centres = _cell_centres()
    stacks: list[list[tuple[int, int, int]]] = []  # (row, first, last) bottom to top
    open_stacks: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    for j, row in enumerate(seen):
        runs = _runs(row)
        next_open: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
        for a, b in runs:
            below = [run for run in open_stacks if run[0] <= b and a <= run[1]]
            if len(below) == 1:
                above = [r for r in runs if r[0] <= below[0][1] and below[0][0] <= r[1]]
                if len(above) == 1:
                    stack = open_stacks.pop(below[0])
                    stack.append((j, a, b))
                    next_open[(a, b)] = stack
                    continue
            stack = [(j, a, b)]
            stacks.append(stack)
            next_open[(a, b)] = stack
        open_stacks = next_open
    return _path(_stack_piece(stack, centres) for stack in stacks)


def _stack_piece(stack: list[tuple[int, int, int]], centres: np.ndarray) -> Piece:
    def west(a: int) -> float:
        return -180.0 + a * GRID

    def east(b: int) -> float:
        return -180.0 + (b + 1) * GRID

    bottom, top = stack[0], stack[-1]
    low = float(centres[bottom[0]]) - GRID / 2
    high = float(centres[top[0]]) + GRID / 2
    piece: Piece = [(west(bottom[1]), low), (east(bottom[2]), low)]
    piece += [(east(b), float(centres[j])) for j, _, b in stack]
    piece += [(east(top[2]), high), (west(top[1]), high)]
    piece += [(west(a), float(centres[j])) for j, a, _ in reversed(stack)]
    return _densify(piece, 6.0)
