"""The fields of a dedicated pointing run: spread evenly over the sky the mount can
reach (a golden-angle spiral in altitude and azimuth, equal areas per field), so that
every term has hour angles and declinations to be told apart by, visited in azimuth
order to keep the slews short."""

from __future__ import annotations

import math
from datetime import datetime

from pyros import astro

GOLDEN_ANGLE = 180.0 * (3.0 - math.sqrt(5.0))  # degrees
MAX_ALTITUDE = 85.0  # above, the sky turns too fast under an alt-az view of the grid


def sky_grid(count: int, min_altitude: float) -> list[tuple[float, float]]:
    """``count`` (altitude, azimuth) pairs in degrees, equal-area between
    ``min_altitude`` and MAX_ALTITUDE, in azimuth order."""
    if not 1 <= count <= 500:
        raise ValueError(f"{count} fields: a pointing run takes 1 to 500")
    low = math.sin(math.radians(min_altitude))
    high = math.sin(math.radians(MAX_ALTITUDE))
    points = []
    for i in range(count):
        height = low + (high - low) * (i + 0.5) / count  # uniform in sin(alt): equal area
        points.append((math.degrees(math.asin(height)), (i * GOLDEN_ANGLE) % 360.0))
    return sorted(points, key=lambda p: p[1])


def grid_fields(count: int, when: datetime, latitude: float, longitude: float,
                elevation: float, min_altitude: float,
                max_hour_angle: float) -> list[tuple[float, float]]:
    """The grid as ICRS (ra, dec) at ``when``, less the fields beyond the hour-angle
    limit (those are dropped, not moved: the run reports how many it kept)."""
    where = astro.location(latitude, longitude, elevation)
    fields = []
    for alt, az in sky_grid(count, min_altitude + 2.0):  # 2° clear of the limit
        ra, dec = astro.radec_from_altaz(alt, az, when, where)
        if abs(astro.hour_angle(ra, when, where)) <= max_hour_angle and abs(dec) < 85.0:
            fields.append((ra, dec))
    return fields
