"""The planner's site and overheads from a unit configuration."""

from __future__ import annotations

from pyros.config.schema import UnitConfig
from pyros.scheduling.problem import Overheads, SiteSpec


def site_of(unit: UnitConfig) -> SiteSpec:
    site = unit.site
    return SiteSpec(
        latitude=site.latitude, longitude=site.longitude, elevation=site.elevation,
        horizon=tuple((p.azimuth, p.altitude) for p in site.horizon),
        min_altitude=unit.mount.limits.min_altitude,
        max_hour_angle=unit.mount.limits.max_hour_angle,
        night_sun_altitude=site.night_sun_altitude,
    )


def overheads_of(unit: UnitConfig) -> Overheads:
    """The unit's model: slew at the mount's rates, settle, and the slowest channel's
    filter change (channels change filters in parallel)."""
    return Overheads(
        slew_rate_ra=unit.mount.slew_rate_ra, slew_rate_dec=unit.mount.slew_rate_dec,
        settle=unit.mount.settle_time,
        filter_change=max(c.filter_change_time for c in unit.channels),
    )
