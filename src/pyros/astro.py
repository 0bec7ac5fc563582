"""Astropy, configured once for a machine that may have no network: nothing may block
on an IERS download. Earth-orientation data comes from the tables bundled with astropy
(refreshed by upgrading the ``astropy-iers-data`` package); past their end astropy
extrapolates, which costs well under an arcsecond for pointing checks."""

from __future__ import annotations

from datetime import datetime

from astropy import units as u
from astropy.coordinates import AltAz, EarthLocation, SkyCoord
from astropy.time import Time
from astropy.utils import iers

iers.conf.auto_download = False
iers.conf.auto_max_age = None


def location(latitude: float, longitude: float, elevation: float) -> EarthLocation:
    return EarthLocation.from_geodetic(lon=longitude * u.deg, lat=latitude * u.deg,
                                       height=elevation * u.m)


def altaz(ra: float, dec: float, when: datetime, where: EarthLocation) -> tuple[float, float]:
    """Altitude and azimuth (degrees, azimuth from north through east) of an ICRS position,
    without refraction."""
    frame = AltAz(obstime=Time(when), location=where)
    horizontal = SkyCoord(ra=ra * u.deg, dec=dec * u.deg, frame="icrs").transform_to(frame)
    return float(horizontal.alt.deg), float(horizontal.az.deg)


def hour_angle(ra: float, when: datetime, where: EarthLocation) -> float:
    """Hour angle in hours, -12..12 (the local apparent sidereal time minus RA)."""
    lst = float(Time(when).sidereal_time("apparent", longitude=where.lon).hour)
    return (lst - ra / 15.0 + 12.0) % 24.0 - 12.0


def radec_from_altaz(alt: float, az: float, when: datetime,
                     where: EarthLocation) -> tuple[float, float]:
    frame = AltAz(obstime=Time(when), location=where, alt=alt * u.deg, az=az * u.deg)
    icrs = SkyCoord(frame).icrs
    return float(icrs.ra.deg), float(icrs.dec.deg)
