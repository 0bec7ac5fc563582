"""The night we mean now: the single answer to "which night is tonight?" for every page,
the CLI, the API and the scheduler, and the instant at which "tonight's moon" is taken.

:func:`~pyros.scheduling.problem.night_of` says which night a moment *belongs to*
(noon to noon, local mean solar time): right for filing things (a log line written at
dawn belongs to the night that ends), wrong for "tonight": at 10:40 in the morning it
is still the night that ended hours ago, whose dark time is over. So tonight is the
night of the moment until that night's dark time is over (the sun back above the
site's ``night_sun_altitude``), then the coming one. A site with no dark time that
night (a summer at high latitude) turns at sunrise instead; one whose sun never sets
keeps the noon-to-noon night.

The moon of a night is read at one instant, the middle of its dark time (of the time
between sunset and sunrise when there is no dark time, local midnight when the sun never
sets): every page that shows tonight's moon shows the same phase and place. Plain
Python over ``scheduling.sky``'s cached night; a leaf of the domain core.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from pyros.scheduling.problem import SiteSpec, night_of
from pyros.scheduling.sky import DAY, NightSky, night_sky


def night_end_seconds(sky: NightSky) -> float | None:
    """Seconds after the night's noon at which the night is over for "tonight": the end
    of its dark time, else sunrise, else None (the sun never rises)."""
    if sky.has_dark_time:
        return sky.dark_seconds[1]
    return sky.twilights.sunrise


def current_night(site: SiteSpec, now: datetime) -> date:
    """The night we mean at ``now`` (the date of its evening): the night ``now`` belongs
    to until its dark time is over, then the coming one."""
    night = night_of(now, site.longitude)
    sky = night_sky(site, night)
    end = night_end_seconds(sky)
    if end is not None and end < DAY and sky.seconds_of(now) >= end:
        night += timedelta(days=1)
    return night


def moon_seconds(sky: NightSky) -> float:
    """The instant of the night (seconds after its noon) at which its moon is given."""
    if sky.has_dark_time:
        start, end = sky.dark_seconds
        return (start + end) / 2.0
    sunset, sunrise = sky.twilights.sunset, sky.twilights.sunrise
    if sunset is not None and sunrise is not None:
        return (sunset + sunrise) / 2.0
    return DAY / 2.0


@dataclass(frozen=True)
class Moon:
    """The moon of a night, at :func:`moon_seconds`."""

    at: datetime
    ra: float  # degrees, topocentric
    dec: float
    altitude: float  # degrees
    illumination: int  # percent


def night_moon(sky: NightSky) -> Moon:
    seconds = moon_seconds(sky)
    ra = float(np.degrees(np.interp(seconds, sky.seconds,
                                    np.unwrap(np.radians(sky.moon_ra)))) % 360.0)
    return Moon(at=sky.at(seconds), ra=ra,
                dec=float(np.interp(seconds, sky.seconds, sky.moon_dec)),
                altitude=float(np.interp(seconds, sky.seconds, sky.moon_alt)),
                illumination=round(100.0 * float(np.interp(seconds, sky.seconds,
                                                           sky.moon_illumination))))


@dataclass(frozen=True)
class Tonight:
    """What the pages say about tonight: the night, its dark time and its moon."""

    night: date
    dark_start: datetime | None
    dark_end: datetime | None
    moon: Moon


def tonight_at(site: SiteSpec, now: datetime) -> Tonight:
    sky = night_sky(site, current_night(site, now))
    dark = (sky.at(sky.dark_seconds[0]), sky.at(sky.dark_seconds[1])) \
        if sky.has_dark_time else (None, None)
    return Tonight(sky.night, dark[0], dark[1], night_moon(sky))
