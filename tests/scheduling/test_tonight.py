"""The night we mean now (scheduling/tonight.py): the night a moment belongs to until
its dark time is over, then the coming one; at every time of day and at sites east and
west; and the same night and moon wherever PyROS says "tonight"."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from pyros.scheduling.problem import SiteSpec, night_of
from pyros.scheduling.sky import night_sky
from pyros.scheduling.tonight import current_night, moon_seconds, night_moon, tonight_at

SAN_PEDRO = SiteSpec(latitude=31.04, longitude=-115.46, elevation=2830.0)
GREENWICH = SiteSpec(latitude=51.48, longitude=0.0, elevation=50.0)
SIDING_SPRING = SiteSpec(latitude=-31.27, longitude=149.06, elevation=1165.0)
HELSINKI = SiteSpec(latitude=60.17, longitude=24.94, elevation=20.0)  # no dark time in June
SVALBARD = SiteSpec(latitude=78.23, longitude=15.4, elevation=500.0)  # midnight sun


def local(site: SiteSpec, day: date, hour: float) -> datetime:
    """``hour`` o'clock local mean solar time on ``day``, in UTC."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start + timedelta(hours=hour - site.longitude / 15.0)


@pytest.mark.parametrize("site", [SAN_PEDRO, GREENWICH, SIDING_SPRING],
                         ids=["west", "greenwich", "east"])
@pytest.mark.parametrize(("hour", "day_after", "expected_offset"), [
    (15.0, 0, 0),    # afternoon: the coming evening's night
    (21.0, 0, 0),    # evening: under way
    (2.0, 1, 0),     # after midnight: still the night that began yesterday evening
    (10.67, 1, 1),   # 10:40 the morning after: that night is over, tonight is today's
    (11.99, 1, 1),   # just before local noon, where night_of still says yesterday
    (12.5, 1, 1),    # just after local noon: night_of agrees again
], ids=["afternoon", "evening", "after-midnight", "morning-after-dawn", "before-noon",
        "after-noon"])
def test_tonight_at_every_time_of_day(site, hour, day_after, expected_offset):
    evening = date(2026, 11, 21)
    moment = local(site, evening + timedelta(days=day_after), hour)
    assert current_night(site, moment) == evening + timedelta(days=expected_offset)


@pytest.mark.parametrize("site", [SAN_PEDRO, GREENWICH, SIDING_SPRING])
def test_the_night_turns_when_its_dark_time_ends(site):
    sky = night_sky(site, date(2026, 11, 21))
    dawn = sky.at(sky.dark_seconds[1])
    assert current_night(site, dawn - timedelta(minutes=1)) == date(2026, 11, 21)
    assert current_night(site, dawn + timedelta(minutes=1)) == date(2026, 11, 22)
    # Filing is another question: a line logged at dawn belongs to the night that ends.
    assert night_of(dawn + timedelta(minutes=1), site.longitude) == date(2026, 11, 21)


def test_without_dark_time_the_night_turns_at_sunrise():
    sky = night_sky(HELSINKI, date(2026, 6, 10))
    assert not sky.has_dark_time and sky.twilights.sunrise is not None
    sunrise = sky.at(sky.twilights.sunrise)
    assert current_night(HELSINKI, sunrise - timedelta(minutes=2)) == date(2026, 6, 10)
    assert current_night(HELSINKI, sunrise + timedelta(minutes=2)) == date(2026, 6, 11)


def test_under_the_midnight_sun_the_night_runs_noon_to_noon():
    for hour in (3.0, 11.0, 13.0, 23.0):
        moment = local(SVALBARD, date(2026, 6, 20), hour)
        assert current_night(SVALBARD, moment) == night_of(moment, SVALBARD.longitude)


def test_the_moon_of_a_night_is_taken_at_the_middle_of_its_dark_time():
    sky = night_sky(SAN_PEDRO, date(2026, 11, 21))
    start, end = sky.dark_seconds
    assert moon_seconds(sky) == pytest.approx((start + end) / 2)
    moon = night_moon(sky)
    assert 0 <= moon.illumination <= 100
    # The same moon whatever the hour it is asked at, that night.
    for hour in (14.0, 20.0, 23.5):
        seen = tonight_at(SAN_PEDRO, local(SAN_PEDRO, date(2026, 11, 21), hour))
        assert seen.night == date(2026, 11, 21) and seen.moon == moon
    morning = tonight_at(SAN_PEDRO, local(SAN_PEDRO, date(2026, 11, 22), 10.67))
    assert morning.night == date(2026, 11, 22)
    assert morning.moon == night_moon(night_sky(SAN_PEDRO, date(2026, 11, 22)))
    assert morning.dark_start is not None and morning.dark_start > local(
        SAN_PEDRO, date(2026, 11, 22), 10.67)
