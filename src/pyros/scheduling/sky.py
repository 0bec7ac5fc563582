"""The sky of one night at one site: the sun, the moon, the twilights, and the fast
transformation of many targets to altitude / azimuth / hour angle.

Astropy's full ICRS → AltAz transformation costs milliseconds per instant; a night's plan
needs thousands of targets × a hundred instants. So astropy (through ERFA) gives what
varies slowly or is needed only per instant — the bias-precession-nutation matrix at
mid-night and the apparent sidereal time on the grid — and numpy does the spherical
trigonometry for every target at once. What this leaves out is annual aberration
(≤ 20.5″), polar motion (< 1″) and refraction (astropy's AltAz without pressure has none
either): within 1′ of astropy, which the tests check.

The sun and the moon come from astropy's ephemeris (topocentric for the moon, whose
parallax reaches 1°). A :class:`NightSky` is cached per (site, night), so re-planning
the same night costs nothing here.

Nothing downloads: :mod:`pyros.astro` configures astropy for a closed network.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import erfa
import numpy as np
from astropy import units as u
from astropy.coordinates import get_body
from astropy.time import Time

from pyros.astro import location
from pyros.scheduling.problem import SiteSpec, night_noon

GRID_STEP = 300.0  # seconds between two instants of the night's grid
DAY = 86400.0


@dataclass(frozen=True)
class Twilights:
    """Seconds after noon UTC at which the sun crosses each altitude going down (dusk)
    and up (dawn); None when it does not cross it that night."""

    sunset: float | None
    sunrise: float | None
    civil: tuple[float | None, float | None]
    nautical: tuple[float | None, float | None]
    astronomical: tuple[float | None, float | None]


class NightSky:
    """Everything about one night that does not depend on the targets."""

    def __init__(self, site: SiteSpec, night: date) -> None:
        self.site = site
        self.night = night
        self.noon: datetime = night_noon(night, site.longitude)
        self.seconds = np.arange(0.0, DAY + GRID_STEP / 2, GRID_STEP)
        self.times = Time(self.noon) + self.seconds * u.s
        self._lat = np.radians(site.latitude)
        where = location(site.latitude, site.longitude, site.elevation)
        middle = self.times[len(self.times) // 2].tt
        # ICRS (GCRS) to the true equator and equinox of date, and the apparent
        # sidereal time counted from that equinox: the two agree by construction.
        self._rbpn = erfa.pnm06a(middle.jd1, middle.jd2)
        gast = self.times.sidereal_time("apparent", "greenwich").radian
        self._last = np.asarray(gast) + np.radians(site.longitude)
        # Continuous versions, for values between the grid's instants.
        self._last_unwrapped = np.unwrap(self._last)
        sun = get_body("sun", self.times)
        moon = get_body("moon", self.times, location=where)
        self.sun_alt, self.sun_az, _ = self.altaz(np.asarray(sun.ra.deg), np.asarray(sun.dec.deg),
                                                  diagonal=True)
        self.moon_ra = np.asarray(moon.ra.deg)
        self.moon_dec = np.asarray(moon.dec.deg)
        self.moon_alt, self.moon_az, _ = self.altaz(self.moon_ra, self.moon_dec, diagonal=True)
        elongation = np.radians(_separation(np.asarray(sun.ra.deg), np.asarray(sun.dec.deg),
                                            self.moon_ra, self.moon_dec))
        sun_distance = np.asarray(sun.distance.to_value(u.km))
        moon_distance = np.asarray(moon.distance.to_value(u.km))
        phase_angle = np.arctan2(sun_distance * np.sin(elongation),
                                 moon_distance - sun_distance * np.cos(elongation))
        self.moon_illumination = (1.0 + np.cos(phase_angle)) / 2.0
        self.twilights = Twilights(
            sunset=self._crossings(-0.833)[0], sunrise=self._crossings(-0.833)[1],
            civil=self._crossings(-6.0), nautical=self._crossings(-12.0),
            astronomical=self._crossings(-18.0),
        )
        self.dark = self._crossings(site.night_sun_altitude)

    # -- the night ---------------------------------------------------------------------

    def _crossings(self, altitude: float) -> tuple[float | None, float | None]:
        """When the sun goes below ``altitude`` (evening) and back above it (morning)."""
        below = self.sun_alt < altitude
        if below.all():
            return 0.0, DAY
        if not below.any():
            return None, None
        first = int(np.argmax(below))
        last = len(below) - 1 - int(np.argmax(below[::-1]))
        down = self._interpolate(first - 1, altitude) if first > 0 else 0.0
        up = self._interpolate(last, altitude) if last < len(below) - 1 else DAY
        return down, up

    def _interpolate(self, k: int, altitude: float) -> float:
        a0, a1 = self.sun_alt[k], self.sun_alt[k + 1]
        fraction = (altitude - a0) / (a1 - a0)
        return float(self.seconds[k] + fraction * GRID_STEP)

    @property
    def has_dark_time(self) -> bool:
        return self.dark[0] is not None

    @property
    def dark_seconds(self) -> tuple[float, float]:
        """The dark interval (sun below the configured altitude), seconds after noon."""
        if self.dark[0] is None or self.dark[1] is None:
            return 0.0, 0.0
        return self.dark[0], self.dark[1]

    def at(self, seconds: float) -> datetime:
        return self.noon + timedelta(seconds=float(seconds))

    def seconds_of(self, moment: datetime) -> float:
        return (moment - self.noon).total_seconds()

    # -- targets -----------------------------------------------------------------------

    def altaz(self, ra: np.ndarray, dec: np.ndarray, *, columns: slice = slice(None),
              diagonal: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Altitude, azimuth (degrees, north through east) and hour angle (hours, −12..12)
        of ICRS positions on the grid: arrays of shape (targets, instants), or one value
        per instant with ``diagonal`` (then ``ra``/``dec`` give one position per instant,
        as for the sun)."""
        ra_app, dec_app = self._apparent(np.atleast_1d(ra), np.atleast_1d(dec))
        last = self._last[columns]
        if diagonal:
            return self._horizontal(last - ra_app, dec_app)
        return self._horizontal(last[None, :] - ra_app[:, None], dec_app[:, None])

    def altaz_at(self, ra: np.ndarray, dec: np.ndarray, seconds: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Like :meth:`altaz`, one position per instant, at any instants of the night
        (the sidereal time is interpolated: it is linear in time to well under 1″ over
        the grid's step)."""
        ra_app, dec_app = self._apparent(ra, dec)
        last = np.interp(seconds, self.seconds, self._last_unwrapped)
        return self._horizontal(last - ra_app, dec_app)

    def _apparent(self, ra, dec) -> tuple[np.ndarray, np.ndarray]:
        """ICRS degrees to radians on the true equator and equinox of date."""
        ra_r = np.radians(np.asarray(ra, dtype=float))
        dec_r = np.radians(np.asarray(dec, dtype=float))
        cos_dec = np.cos(dec_r)
        vectors = np.stack([cos_dec * np.cos(ra_r), cos_dec * np.sin(ra_r), np.sin(dec_r)])
        apparent = self._rbpn @ vectors
        return (np.arctan2(apparent[1], apparent[0]),
                np.arcsin(np.clip(apparent[2], -1.0, 1.0)))

    def _horizontal(self, ha: np.ndarray, dec: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Altitude, azimuth (degrees) and hour angle (hours) from the hour angle and the
        declination (radians), broadcast together."""
        sin_d, cos_d = np.sin(dec), np.cos(dec)
        sin_lat, cos_lat = np.sin(self._lat), np.cos(self._lat)
        cos_ha = np.cos(ha)
        alt = np.arcsin(np.clip(sin_lat * sin_d + cos_lat * cos_d * cos_ha, -1.0, 1.0))
        az = np.arctan2(-cos_d * np.sin(ha), sin_d * cos_lat - cos_d * sin_lat * cos_ha)
        hours = (np.degrees(ha) / 15.0 + 12.0) % 24.0 - 12.0
        return np.degrees(alt), np.degrees(az) % 360.0, hours

    def moon_separation_at(self, ra: np.ndarray, dec: np.ndarray,
                           seconds: np.ndarray) -> np.ndarray:
        """Degrees between positions and the moon at any instants (one per position)."""
        moon_ra = np.degrees(np.interp(seconds, self.seconds,
                                       np.unwrap(np.radians(self.moon_ra))))
        moon_dec = np.interp(seconds, self.seconds, self.moon_dec)
        return _separation(np.asarray(ra, float), np.asarray(dec, float), moon_ra, moon_dec)

    def moon_separation(self, ra: np.ndarray, dec: np.ndarray, *,
                        columns: slice = slice(None)) -> np.ndarray:
        """Degrees between each target and the moon at each instant: (targets, instants)."""
        return _separation(np.asarray(ra, float)[:, None], np.asarray(dec, float)[:, None],
                           self.moon_ra[columns][None, :], self.moon_dec[columns][None, :])

    def horizon_altitude(self, azimuth: np.ndarray) -> np.ndarray:
        """The site's lowest usable altitude at each azimuth (degrees)."""
        if not self.site.horizon:
            return np.zeros_like(azimuth)
        points = sorted(self.site.horizon)
        az = np.array([p[0] for p in points])
        alt = np.array([p[1] for p in points])
        return np.interp(azimuth, az, alt, period=360.0)


def _separation(ra1, dec1, ra2, dec2) -> np.ndarray:
    """Great-circle distance in degrees (Vincenty's formula: exact at every angle)."""
    ra1, dec1, ra2, dec2 = (np.radians(a) for a in (ra1, dec1, ra2, dec2))
    dra = ra2 - ra1
    num = np.hypot(np.cos(dec2) * np.sin(dra),
                   np.cos(dec1) * np.sin(dec2) - np.sin(dec1) * np.cos(dec2) * np.cos(dra))
    den = np.sin(dec1) * np.sin(dec2) + np.cos(dec1) * np.cos(dec2) * np.cos(dra)
    return np.degrees(np.arctan2(num, den))


@lru_cache(maxsize=8)
def night_sky(site: SiteSpec, night: date) -> NightSky:
    """The night's sky, computed once per (site, night) in a process."""
    return NightSky(site, night)
