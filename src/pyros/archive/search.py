"""Finding frames: the filters every path offers (API, pages, `pyros images list`) and
the cone search.

A cone of radius r around (ra, dec) is every centre whose unit vector v has v·c ≥ cos r.
The rows to compute it on come from the (zone, ra) index: the declination zones the
cone touches, each within the cone's RA extent (Gray et al.'s zones algorithm). An
equality on the zone, not a range on dec, is what makes SQLite's planner take that
index rather than the nights' when both are asked for; `pyros bench archive`
measures it over a million rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from django.db.models import F, Q, QuerySet

from pyros.archive.ingest import unit_vector, zone_of
from pyros.archive.models import ArchiveFrame, Product

MAX_RADIUS = 10.0  # degrees: a wider search is a listing, not a cone


class SearchError(ValueError):
    """A filter that makes no sense: said to the user, never a 500."""


@dataclass(frozen=True)
class Cone:
    ra: float
    dec: float
    radius: float  # degrees

    def __post_init__(self) -> None:
        for name in ("ra", "dec", "radius"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value):
                raise SearchError(f"{name} must be a finite number of degrees")
        if not 0.0 <= self.ra < 360.0:
            raise SearchError("ra must be within 0..360 degrees")
        if not -90.0 <= self.dec <= 90.0:
            raise SearchError("dec must be within -90..90 degrees")
        if not 0.0 < self.radius <= MAX_RADIUS:
            raise SearchError(f"radius must be within 0..{MAX_RADIUS:g} degrees")


def ra_extent(dec: float, radius: float) -> float | None:
    """Half the RA width (degrees) of a cone; None when it reaches a pole (all RAs)."""
    if abs(dec) + radius >= 89.9:
        return None
    d, r = math.radians(dec), math.radians(radius)
    width = math.degrees(math.atan(math.sin(r) / math.sqrt(
        abs(math.cos(d - r) * math.cos(d + r)))))
    return None if width >= 180.0 else width * 1.0001 + 1e-9


def in_cone(frames: QuerySet[ArchiveFrame], cone: Cone) -> QuerySet[ArchiveFrame]:
    x, y, z = unit_vector(cone.ra, cone.dec)
    zones = list(range(zone_of(max(-90.0, cone.dec - cone.radius)),
                       zone_of(min(90.0, cone.dec + cone.radius)) + 1))
    frames = frames.filter(zone__in=zones)
    width = ra_extent(cone.dec, cone.radius)
    if width is not None:
        low, high = cone.ra - width, cone.ra + width
        if low < 0.0:
            frames = frames.filter(Q(ra__gte=low + 360.0) | Q(ra__lte=high))
        elif high >= 360.0:
            frames = frames.filter(Q(ra__gte=low) | Q(ra__lte=high - 360.0))
        else:
            frames = frames.filter(ra__gte=low, ra__lte=high)
    return frames.alias(dot=F("x") * x + F("y") * y + F("z") * z).filter(
        dot__gte=math.cos(math.radians(cone.radius)))


@dataclass(frozen=True)
class Filters:
    """What a user may ask of the catalogue; every field optional."""

    night_from: date | None = None
    night_to: date | None = None
    target: str = ""
    cone: Cone | None = None
    filter: str = ""
    frame_type: str = ""
    product: str = ""
    reduction_level: int | None = None
    program: str = ""
    request: int | None = None
    channel: str = ""

    def apply(self, frames: QuerySet[ArchiveFrame]) -> QuerySet[ArchiveFrame]:
        if self.night_from and self.night_to and self.night_from > self.night_to:
            raise SearchError("the first night comes after the last")
        if self.product and self.product not in Product.values:
            raise SearchError(f"product must be one of {', '.join(Product.values)}")
        if self.night_from:
            frames = frames.filter(night__gte=self.night_from)
        if self.night_to:
            frames = frames.filter(night__lte=self.night_to)
        if self.target:
            frames = frames.filter(target_name__icontains=self.target)
        if self.filter:
            frames = frames.filter(filter=self.filter)
        if self.frame_type:
            frames = frames.filter(frame_type=self.frame_type.upper())
        if self.product:
            frames = frames.filter(product=self.product)
        if self.reduction_level is not None:
            frames = frames.filter(reduction_level=self.reduction_level)
        if self.program:
            frames = frames.filter(program__name=self.program)
        if self.request is not None:
            frames = frames.filter(request_id=self.request)
        if self.channel:
            frames = frames.filter(channel=self.channel)
        if self.cone is not None:
            frames = in_cone(frames, self.cone)
        return frames
