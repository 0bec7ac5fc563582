"""The planner's fast sky against astropy's full transformations: if these drift apart,
plans would be built on positions that are wrong, so every shortcut of ``sky.py`` is
measured here at sites on both sides of the equator and of Greenwich."""

from __future__ import annotations

import socket
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import AltAz, HADec, SkyCoord, get_body
from astropy.time import Time
from astropy.utils import iers

from pyros.astro import location
from pyros.scheduling.problem import SiteSpec, night_noon, night_of
from pyros.scheduling.sky import DAY, NightSky, night_sky

SAN_PEDRO_MARTIR = SiteSpec(latitude=31.0439, longitude=-115.4637, elevation=2790.0)
LA_SILLA = SiteSpec(latitude=-29.2567, longitude=-70.7300, elevation=2400.0)
XINGLONG = SiteSpec(latitude=40.3933, longitude=117.5750, elevation=960.0)
SITES = {"san-pedro-martir": SAN_PEDRO_MARTIR, "la-silla": LA_SILLA, "xinglong": XINGLONG}
NIGHT = date(2026, 11, 21)
FULL_MOON_NIGHT = date(2026, 11, 24)  # astropy: full at 2026-11-24 ~15 h UTC
NEW_MOON_NIGHT = date(2026, 11, 8)  # new on 2026-11-09 ~7 h UTC
ARCMIN = 1.0 / 60.0


def _frame(site: SiteSpec, times: Time) -> AltAz:
    return AltAz(obstime=times, location=location(site.latitude, site.longitude,
                                                  site.elevation))


def _sun_altitude(site: SiteSpec, moments: list[datetime]) -> np.ndarray:
    times = Time(moments)
    return np.atleast_1d(get_body("sun", times).transform_to(_frame(site, times)).alt.deg)


@pytest.mark.parametrize("name", SITES)
def test_altaz_agrees_with_astropy_within_an_arcminute(name):
    site = SITES[name]
    sky = night_sky(site, NIGHT)
    rng = np.random.default_rng(7)
    ra = rng.uniform(0.0, 360.0, 200)
    dec = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, 200)))  # uniform on the sphere
    columns = slice(48, 250, 40)  # 16:00 to ~09:00 local, every 3 h 20 min
    alt, az, _ = sky.altaz(ra, dec, columns=columns)
    targets = SkyCoord(ra=ra[:, None] * u.deg, dec=dec[:, None] * u.deg, frame="icrs")
    exact = targets.transform_to(_frame(site, sky.times[columns][None, :]))
    assert alt.shape == exact.shape == (200, 6)
    assert np.abs(alt - exact.alt.deg).max() < ARCMIN
    daz = (az - exact.az.deg + 180.0) % 360.0 - 180.0
    assert np.abs(daz * np.cos(exact.alt.rad)).max() < ARCMIN


@pytest.mark.parametrize("name", SITES)
def test_hour_angle_agrees_with_astropy(name):
    site = SITES[name]
    sky = night_sky(site, NIGHT)
    rng = np.random.default_rng(11)
    ra = rng.uniform(0.0, 360.0, 50)
    dec = rng.uniform(-80.0, 80.0, 50)
    columns = slice(100, 200, 50)
    _, _, ha = sky.altaz(ra, dec, columns=columns)
    where = location(site.latitude, site.longitude, site.elevation)
    exact = SkyCoord(ra=ra[:, None] * u.deg, dec=dec[:, None] * u.deg).transform_to(
        HADec(obstime=sky.times[columns][None, :], location=where))
    dha = (ha - exact.ha.hour + 12.0) % 24.0 - 12.0
    assert np.abs(dha * 15.0 * np.cos(np.radians(dec))[:, None]).max() < ARCMIN
    assert (np.abs(ha) <= 12.0).all()


@pytest.mark.parametrize("name", SITES)
def test_sun_and_moon_altitudes_agree_with_astropy(name):
    site = SITES[name]
    sky = night_sky(site, NIGHT)
    frame = _frame(site, sky.times)
    sun = get_body("sun", sky.times).transform_to(frame)
    moon = get_body("moon", sky.times, location=frame.location).transform_to(frame)
    assert np.abs(sky.sun_alt - sun.alt.deg).max() < ARCMIN
    assert np.abs(sky.moon_alt - moon.alt.deg).max() < 2 * ARCMIN


@pytest.mark.parametrize("name", SITES)
def test_twilights_are_where_astropy_puts_the_sun(name):
    site = SITES[name]
    sky = night_sky(site, NIGHT)
    crossings = {
        -0.833: (sky.twilights.sunset, sky.twilights.sunrise),
        -6.0: sky.twilights.civil,
        -12.0: sky.twilights.nautical,
        -18.0: sky.twilights.astronomical,
        site.night_sun_altitude: sky.dark,
    }
    for limit, (dusk, dawn) in crossings.items():
        assert dusk is not None and dawn is not None, limit
        assert 0.0 < dusk < dawn < DAY
        altitudes = _sun_altitude(site, [sky.at(dusk), sky.at(dawn)])
        assert np.abs(altitudes - limit).max() < 0.1, (limit, altitudes)
        # and it is the night in between, the day outside
        inside = _sun_altitude(site, [sky.at(dusk + 600.0), sky.at((dusk + dawn) / 2),
                                      sky.at(dawn - 600.0)])
        outside = _sun_altitude(site, [sky.at(dusk - 600.0), sky.at(dawn + 600.0)])
        assert (inside < limit).all() and (outside > limit).all()
    evening = [sky.twilights.sunset, sky.twilights.civil[0], sky.twilights.nautical[0],
               sky.twilights.astronomical[0]]
    assert evening == sorted(evening)


def test_a_white_night_has_no_dark_time():
    # 62° N at midsummer: the sun gets no lower than about -4.6°.
    site = SiteSpec(latitude=62.0, longitude=25.0, elevation=100.0)
    sky = NightSky(site, date(2026, 6, 21))
    assert sky.twilights.astronomical == (None, None)
    assert sky.dark == (None, None)
    assert not sky.has_dark_time
    assert sky.dark_seconds == (0.0, 0.0)
    assert sky.twilights.civil == (None, None)
    assert sky.twilights.sunset is not None  # but it does set


@pytest.mark.parametrize("name", SITES)
def test_the_night_runs_noon_to_noon_local_mean_time(name):
    site = SITES[name]
    noon = night_noon(NIGHT, site.longitude)
    local_noon = noon + timedelta(hours=site.longitude / 15.0)
    assert abs(local_noon - datetime(2026, 11, 21, 12, tzinfo=UTC)) <= timedelta(seconds=1)
    # the dark time lies well inside, whichever side of Greenwich
    sky = night_sky(site, NIGHT)
    dusk, dawn = sky.dark_seconds
    assert 3 * 3600 < dusk < dawn < DAY - 3 * 3600
    assert sky.noon == noon
    assert sky.at(dusk) > noon and sky.seconds_of(sky.at(dusk)) == pytest.approx(dusk)
    # a moment belongs to the night of the evening before it
    assert night_of(sky.at(dusk), site.longitude) == NIGHT
    assert night_of(sky.at(dawn), site.longitude) == NIGHT
    assert night_of(noon + timedelta(seconds=1), site.longitude) == NIGHT
    assert night_of(noon - timedelta(seconds=1), site.longitude) == NIGHT - timedelta(days=1)
    assert night_of(noon + timedelta(days=1, seconds=1), site.longitude) \
        == NIGHT + timedelta(days=1)


def test_night_of_a_site_east_of_greenwich_spans_two_utc_dates():
    # At Xinglong the evening of 21 November is the UTC afternoon of the 21st and the
    # morning after is the UTC night of the 21st-22nd.
    assert night_of(datetime(2026, 11, 21, 14, 0, tzinfo=UTC), XINGLONG.longitude) == NIGHT
    assert night_of(datetime(2026, 11, 21, 22, 0, tzinfo=UTC), XINGLONG.longitude) == NIGHT
    assert night_of(datetime(2026, 11, 22, 2, 0, tzinfo=UTC), XINGLONG.longitude) == NIGHT
    assert night_of(datetime(2026, 11, 22, 5, 0, tzinfo=UTC), XINGLONG.longitude) \
        == date(2026, 11, 22)
    # and at San Pedro Mártir, the UTC morning of the 22nd is still the 21st's night
    assert night_of(datetime(2026, 11, 22, 12, 0, tzinfo=UTC),
                    SAN_PEDRO_MARTIR.longitude) == NIGHT


def _geocentric_illumination(times: Time) -> np.ndarray:
    """Astroplan's formula: the illuminated fraction from the geocentric phase angle."""
    sun = get_body("sun", times)
    moon = get_body("moon", times)
    elongation = sun.separation(moon).rad
    sun_km = sun.distance.to_value(u.km)
    moon_km = moon.distance.to_value(u.km)
    phase = np.arctan2(sun_km * np.sin(elongation), moon_km - sun_km * np.cos(elongation))
    return (1.0 + np.cos(phase)) / 2.0


@pytest.mark.parametrize("night", [NEW_MOON_NIGHT, NIGHT, FULL_MOON_NIGHT])
def test_moon_illumination_follows_the_phase(night):
    sky = night_sky(SAN_PEDRO_MARTIR, night)
    assert ((sky.moon_illumination >= 0.0) & (sky.moon_illumination <= 1.0)).all()
    expected = _geocentric_illumination(sky.times)
    # topocentric (the sky's) against geocentric: the moon's parallax is under 1°
    assert np.abs(sky.moon_illumination - expected).max() < 0.02


def test_full_and_new_moon():
    full = night_sky(SAN_PEDRO_MARTIR, FULL_MOON_NIGHT)
    new = night_sky(SAN_PEDRO_MARTIR, NEW_MOON_NIGHT)
    assert full.moon_illumination.min() > 0.95
    assert new.moon_illumination.max() < 0.05


def test_moon_separation_agrees_with_astropy():
    sky = night_sky(SAN_PEDRO_MARTIR, FULL_MOON_NIGHT)
    rng = np.random.default_rng(3)
    ra = rng.uniform(0.0, 360.0, 50)
    dec = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, 50)))
    columns = slice(120, 200, 40)
    separation = sky.moon_separation(ra, dec, columns=columns)
    frame = _frame(SAN_PEDRO_MARTIR, sky.times[columns])
    moon = get_body("moon", sky.times[columns], location=frame.location).transform_to(frame)
    targets = SkyCoord(ra=ra[:, None] * u.deg, dec=dec[:, None] * u.deg).transform_to(
        AltAz(obstime=sky.times[columns][None, :], location=frame.location))
    exact = targets.separation(moon[None, :]).deg
    assert np.abs(separation - exact).max() < 0.05


def test_horizon_profile_is_interpolated_around_north():
    site = SiteSpec(latitude=31.0, longitude=-115.0, elevation=0.0,
                    horizon=((350.0, 20.0), (10.0, 40.0), (180.0, 10.0)))
    sky = night_sky(site, NIGHT)
    profile = sky.horizon_altitude(np.array([0.0, 350.0, 10.0, 95.0, 180.0, 265.0]))
    assert profile == pytest.approx([30.0, 20.0, 40.0, 25.0, 10.0, 15.0])


@pytest.mark.filterwarnings("ignore::erfa.ErfaWarning",
                            "ignore::astropy.utils.exceptions.AstropyWarning")
def test_astropy_never_downloads(monkeypatch):
    assert iers.conf.auto_download is False

    def refuse(*args, **kwargs):
        raise AssertionError("astropy tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    # a night far from the bundled IERS tables' range, computed afresh (not cached)
    sky = NightSky(XINGLONG, date(2031, 3, 2))
    assert sky.has_dark_time
