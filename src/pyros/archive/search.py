"""Finding frames: the filters every path offers (API, pages, `pyros images list`) and
the cone search.

A cone of radius r around (ra, dec) is every centre whose unit vector v has v·c ≥ cos r.
The declination band dec ± r goes through the ``dec`` index first, so the dot product
is computed over a band's rows, not the catalogue's (a 1° band is 0.9 % of a uniform
sky at most); `pyros bench archive` measures it over a million rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from django.db.models import F, QuerySet

from pyros.archive.ingest import unit_vector
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


def in_cone(frames: QuerySet[ArchiveFrame], cone: Cone) -> QuerySet[ArchiveFrame]:
    x, y, z = unit_vector(cone.ra, cone.dec)
    low, high = cone.dec - cone.radius, cone.dec + cone.radius
    return frames.filter(dec__gte=low, dec__lte=high).alias(
        dot=F("x") * x + F("y") * y + F("z") * z).filter(
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
