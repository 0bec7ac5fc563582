"""Where the sun is, for the majordome's day / dusk / night / dawn.

Read off the night's sky (``scheduling.sky``: the sun on a 5-minute grid, computed
once per night and cached) and interpolated linearly: the sun moves at most a degree
and a quarter in five minutes, and along so smooth a curve that the interpolation is
good to a small fraction of a degree, far better than the phase boundaries need.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from pyros.majordome.states import Phase
from pyros.scheduling.problem import SiteSpec, night_of
from pyros.scheduling.sky import night_sky


@dataclass(frozen=True)
class Sun:
    altitude: float  # degrees
    azimuth: float  # degrees, north through east
    phase: Phase
    evening: bool  # before the sun's lowest point of the night


def sun_now(site: SiteSpec, now: datetime, open_altitude: float) -> Sun:
    """The sun at ``now`` and the phase it makes: DAY above ``open_altitude``, NIGHT below
    the site's night altitude, DUSK or DAWN in between."""
    sky = night_sky(site, night_of(now, site.longitude))
    seconds = sky.seconds_of(now)
    altitude = float(np.interp(seconds, sky.seconds, sky.sun_alt))
    # Azimuth wraps: interpolate its unwrapped form.
    azimuth = float(np.interp(seconds, sky.seconds, np.unwrap(np.radians(sky.sun_az))))
    azimuth = float(np.degrees(azimuth) % 360.0)
    evening = seconds < float(sky.seconds[int(np.argmin(sky.sun_alt))])
    if altitude > open_altitude:
        phase = Phase.DAY
    elif altitude < site.night_sun_altitude:
        phase = Phase.NIGHT
    else:
        phase = Phase.DUSK if evening else Phase.DAWN
    return Sun(altitude, azimuth, phase, evening)
