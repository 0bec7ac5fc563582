"""Observable intervals, and the reasons given when there are none: an astronomer reads
these reasons to fix a request, so each must name the constraint that bites."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import AltAz, SkyCoord, get_body
from astropy.time import Time

from pyros.astro import location, radec_from_altaz
from pyros.scheduling.problem import SequenceToPlan, SiteSpec, airmass_altitude
from pyros.scheduling.sky import night_sky
from pyros.scheduling.visibility import SAFETY, Visibility, VisibilityCalculator

SITE = SiteSpec(latitude=31.0439, longitude=-115.4637, elevation=2790.0)
NIGHT = date(2026, 11, 21)
FULL_MOON_NIGHT = date(2026, 11, 24)
WHERE = location(SITE.latitude, SITE.longitude, SITE.elevation)


def _midnight(night: date = NIGHT) -> datetime:
    """Local mean midnight at the site."""
    return datetime.combine(night + timedelta(days=1), datetime.min.time(), tzinfo=UTC) \
        - timedelta(hours=SITE.longitude / 15.0)


def _zenith_ra(moment: datetime) -> float:
    """The right ascension on the meridian at ``moment``."""
    return radec_from_altaz(89.9, 180.0, moment, WHERE)[0]


def _visibility(sequence: SequenceToPlan, *, site: SiteSpec = SITE, night: date = NIGHT,
                not_before: float | None = None) -> Visibility:
    calculator = VisibilityCalculator(night_sky(site, night), not_before=not_before)
    return calculator.compute([sequence])[0]


def _altaz(ra: float, dec: float, moments: list[datetime]) -> tuple[np.ndarray, np.ndarray]:
    frame = AltAz(obstime=Time(moments), location=WHERE)
    horizontal = SkyCoord(ra=ra * u.deg, dec=dec * u.deg).transform_to(frame)
    return horizontal.alt.deg, horizontal.az.deg


def _instants(sky, start: float, end: float, step: float = 60.0) -> list[datetime]:
    return [sky.at(s) for s in [*np.arange(start, end, step), end]]


def test_a_target_at_the_zenith_is_observable_all_the_dark_time():
    sky = night_sky(SITE, NIGHT)
    sequence = SequenceToPlan("zenith", ra=_zenith_ra(_midnight()), dec=SITE.latitude,
                              duration=1800.0)
    visibility = _visibility(sequence)
    assert visibility.reason == ""
    dusk, dawn = sky.dark_seconds
    assert visibility.intervals == [pytest.approx((dusk + SAFETY, dawn - SAFETY), abs=1.0)]
    # highest at midnight (the grid is 5 minutes)
    assert abs(sky.at(visibility.highest) - _midnight()) <= timedelta(minutes=5)


def test_a_target_never_above_airmass_2_is_rejected_for_airmass():
    # at dec -50° it culminates at 9° above San Pedro Mártir's horizon: airmass > 6
    sequence = SequenceToPlan("south", ra=_zenith_ra(_midnight()), dec=-50.0,
                              duration=600.0, max_airmass=2.0)
    visibility = _visibility(sequence)
    assert visibility.intervals == []
    assert "airmass 2" in visibility.reason


def test_a_target_that_never_rises_names_the_altitude():
    sequence = SequenceToPlan("deep-south", ra=_zenith_ra(_midnight()), dec=-75.0,
                              duration=600.0)
    visibility = _visibility(sequence)
    assert visibility.intervals == []
    assert "altitude" in visibility.reason


def test_airmass_limit_bounds_the_intervals():
    ra, dec = _zenith_ra(_midnight()), 0.0  # culminates at 59°
    sequence = SequenceToPlan("eq", ra=ra, dec=dec, duration=1200.0, max_airmass=1.5)
    visibility = _visibility(sequence)
    [(start, end)] = visibility.intervals
    sky = night_sky(SITE, NIGHT)
    alt, _ = _altaz(ra, dec, _instants(sky, start, end))
    assert alt.min() >= airmass_altitude(1.5) - 0.05
    # and not needlessly short: two minutes outside, the airmass is above 1.5
    outside, _ = _altaz(ra, dec, [sky.at(start - 120.0), sky.at(end + 120.0)])
    assert (outside < airmass_altitude(1.5)).all()


def test_a_window_outside_the_night_is_rejected_for_its_window():
    noon = night_sky(SITE, NIGHT).noon
    sequence = SequenceToPlan("daytime", ra=_zenith_ra(_midnight()), dec=SITE.latitude,
                              duration=600.0,
                              window=(noon + timedelta(hours=1), noon + timedelta(hours=3)))
    visibility = _visibility(sequence)
    assert visibility.intervals == []
    assert "window" in visibility.reason


def test_a_window_too_short_for_the_sequence_is_rejected_for_its_window():
    midnight = _midnight()
    sequence = SequenceToPlan("short-window", ra=_zenith_ra(midnight), dec=SITE.latitude,
                              duration=1800.0,
                              window=(midnight, midnight + timedelta(minutes=20)))
    visibility = _visibility(sequence)
    assert visibility.intervals == []
    assert "window" in visibility.reason


def test_intervals_lie_inside_the_window():
    midnight = _midnight()
    window = (midnight - timedelta(hours=1), midnight + timedelta(hours=1))
    sequence = SequenceToPlan("windowed", ra=_zenith_ra(midnight), dec=SITE.latitude,
                              duration=600.0, window=window)
    visibility = _visibility(sequence)
    sky = night_sky(SITE, NIGHT)
    [(start, end)] = visibility.intervals
    assert sky.at(start) >= window[0] and sky.at(end) <= window[1]
    # A window's ends are exact: only ends found on the sky give up SAFETY seconds.
    assert end - start == pytest.approx(7200.0, abs=1.0)


def test_the_moon_separation_constraint_is_named():
    moment = _midnight(FULL_MOON_NIGHT)
    moon = get_body("moon", Time(moment), location=WHERE)
    near = SequenceToPlan("near-moon", ra=float(moon.ra.deg), dec=float(moon.dec.deg),
                          duration=1800.0, min_moon_separation=30.0)
    visibility = _visibility(near, night=FULL_MOON_NIGHT)
    assert visibility.intervals == []
    assert "moon" in visibility.reason
    # the same target with no moon constraint is observable
    free = SequenceToPlan("free", ra=near.ra, dec=near.dec, duration=1800.0)
    assert _visibility(free, night=FULL_MOON_NIGHT).intervals


def test_moon_separation_holds_inside_the_intervals():
    night = FULL_MOON_NIGHT
    sky = night_sky(SITE, night)
    moment = _midnight(night)
    moon = get_body("moon", Time(moment), location=WHERE)
    # 36.5° east of the moon at midnight: the moon, moving east by ~0.4° an hour, comes
    # within 35° of it before dawn
    target = SkyCoord(ra=moon.ra, dec=moon.dec).directional_offset_by(90.0 * u.deg,
                                                                      36.5 * u.deg)
    ra, dec = float(target.ra.deg), float(target.dec.deg)
    sequence = SequenceToPlan("by-moon", ra=ra, dec=dec, duration=600.0,
                              min_moon_separation=35.0)
    visibility = _visibility(sequence, night=night)
    unconstrained = _visibility(SequenceToPlan("by-moon", ra=ra, dec=dec, duration=600.0),
                                night=night)
    assert visibility.intervals
    assert visibility.intervals[-1][1] < unconstrained.intervals[-1][1] - 1800.0
    for start, end in visibility.intervals:
        moments = _instants(sky, start, end)
        frame = AltAz(obstime=Time(moments), location=WHERE)
        target = SkyCoord(ra=ra * u.deg, dec=dec * u.deg).transform_to(frame)
        moon_now = get_body("moon", Time(moments), location=WHERE).transform_to(frame)
        assert target.separation(moon_now).deg.min() >= 35.0 - 0.1


def test_intervals_respect_the_horizon_profile():
    # a 50° wall from south-west round to north-west, 5° elsewhere
    walled = SiteSpec(latitude=SITE.latitude, longitude=SITE.longitude,
                      elevation=SITE.elevation,
                      horizon=((0.0, 5.0), (180.0, 5.0), (200.0, 50.0), (340.0, 50.0)))
    ra, dec = _zenith_ra(_midnight()), 10.0
    open_sky = _visibility(SequenceToPlan("t", ra=ra, dec=dec, duration=1200.0))
    visibility = _visibility(SequenceToPlan("t", ra=ra, dec=dec, duration=1200.0),
                             site=walled)
    [(start, end)] = visibility.intervals
    [(open_start, open_end)] = open_sky.intervals
    # rising in the east, the 5° profile is below the 0° default only by the floor;
    # setting in the west, the wall cuts the interval by hours
    assert start >= open_start - 1.0
    assert end < open_end - 2 * 3600.0
    sky = night_sky(walled, NIGHT)
    alt, az = _altaz(ra, dec, _instants(sky, start, end))
    profile = np.interp(az, [0.0, 180.0, 200.0, 340.0], [5.0, 5.0, 50.0, 50.0], period=360.0)
    assert (alt >= profile - 0.05).all()
    # two minutes later the target is behind the wall
    alt_after, az_after = _altaz(ra, dec, [sky.at(end + 120.0)])
    assert 200.0 <= az_after[0] <= 340.0 and alt_after[0] < 50.0


def test_the_hour_angle_limit_bounds_the_intervals():
    limited = SiteSpec(latitude=SITE.latitude, longitude=SITE.longitude,
                       elevation=SITE.elevation, max_hour_angle=2.0)
    midnight = _midnight()
    sequence = SequenceToPlan("ha", ra=_zenith_ra(midnight), dec=SITE.latitude,
                              duration=600.0)
    [(start, end)] = _visibility(sequence, site=limited).intervals
    sky = night_sky(limited, NIGHT)
    # ±2 h of hour angle is ±2 sidereal hours (1 h 59 min 40 s) around the transit
    assert abs(sky.at(start) - (midnight - timedelta(hours=2))) < timedelta(minutes=3)
    assert abs(sky.at(end) - (midnight + timedelta(hours=2))) < timedelta(minutes=3)


def test_a_sequence_longer_than_the_dark_time_is_rejected():
    sky = night_sky(SITE, NIGHT)
    dusk, dawn = sky.dark_seconds
    sequence = SequenceToPlan("marathon", ra=_zenith_ra(_midnight()), dec=80.0,
                              duration=dawn - dusk + 600.0)
    visibility = _visibility(sequence)
    assert visibility.intervals == []
    assert "dark time" in visibility.reason


def test_not_before_cuts_the_start_of_the_night():
    sky = night_sky(SITE, NIGHT)
    now = sky.seconds_of(_midnight())
    sequence = SequenceToPlan("late", ra=_zenith_ra(_midnight()), dec=SITE.latitude,
                              duration=600.0)
    [(start, _)] = _visibility(sequence, not_before=now).intervals
    assert start >= now


def test_no_dark_time_gives_every_sequence_the_reason():
    white = SiteSpec(latitude=62.0, longitude=25.0, elevation=100.0)
    sequence = SequenceToPlan("x", ra=0.0, dec=60.0, duration=600.0)
    visibility = _visibility(sequence, site=white, night=date(2026, 6, 21))
    assert visibility.intervals == []
    assert "sun never goes below" in visibility.reason


def test_intervals_respect_a_horizon_plateau_the_target_skims():
    """The margin against a piecewise-linear profile has corners: interpolated between
    grid instants, it once put the start of an interval 2.5 min early, with the target
    still 1.2° behind the wall."""
    pillar = SiteSpec(latitude=SITE.latitude, longitude=SITE.longitude,
                      elevation=SITE.elevation,
                      horizon=((0.0, 0.0), (150.0, 0.0), (170.0, 70.0), (190.0, 70.0),
                               (210.0, 0.0)))
    ra, dec = _zenith_ra(_midnight()), 10.0  # culminates at 69°, just under the wall
    visibility = _visibility(SequenceToPlan("t", ra=ra, dec=dec, duration=1200.0),
                             site=pillar)
    sky = night_sky(pillar, NIGHT)
    for start, end in visibility.intervals:
        alt, az = _altaz(ra, dec, _instants(sky, start, end, step=10.0))
        profile = np.interp(az, [0.0, 150.0, 170.0, 190.0, 210.0],
                            [0.0, 0.0, 70.0, 70.0, 0.0], period=360.0)
        assert (alt >= profile - 0.05).all(), sky.at(start)
