"""Refusing a pointing before it reaches the mount: below the site's horizon profile,
below the mount's altitude limit, or past its hour-angle limit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from pyros import astro
from pyros.config.schema import Site
from pyros.devices.errors import DeviceRefused
from pyros.devices.interfaces import MountCapabilities


def horizon_altitude(site: Site, azimuth: float) -> float:
    """The horizon profile's altitude at ``azimuth``, interpolated around the circle."""
    if not site.horizon:
        return 0.0
    azimuths = [p.azimuth for p in site.horizon]
    altitudes = [p.altitude for p in site.horizon]
    return float(np.interp(azimuth % 360.0, azimuths, altitudes, period=360.0))


@dataclass(frozen=True)
class TargetCheck:
    alt: float
    az: float
    ha: float
    horizon: float


def check_target(device: str, ra: float, dec: float, when: datetime, site: Site,
                 limits: MountCapabilities) -> TargetCheck:
    """Where the target is now; DeviceRefused if the mount must not go there."""
    if not (0.0 <= ra < 360.0 and -90.0 <= dec <= 90.0):
        raise DeviceRefused(device, f"RA {ra} / Dec {dec} are not ICRS degrees "
                                    "(0 <= RA < 360, -90 <= Dec <= 90)")
    where = astro.location(site.latitude, site.longitude, site.elevation)
    alt, az = astro.altaz(ra, dec, when, where)
    ha = astro.hour_angle(ra, when, where)
    horizon = horizon_altitude(site, az)
    if alt < horizon:
        raise DeviceRefused(device, f"target at altitude {alt:.1f} deg (azimuth {az:.1f}) is "
                                    f"below the horizon ({horizon:.1f} deg there)")
    if alt < limits.min_altitude:
        raise DeviceRefused(device, f"target at altitude {alt:.1f} deg is below the mount's "
                                    f"limit of {limits.min_altitude:g} deg")
    if abs(ha) > limits.max_hour_angle:
        raise DeviceRefused(device, f"target at hour angle {ha:+.2f} h is past the mount's "
                                    f"limit of {limits.max_hour_angle:g} h")
    return TargetCheck(alt, az, ha, horizon)
