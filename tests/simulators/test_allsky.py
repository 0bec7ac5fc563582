"""The simulated all-sky camera (simulators/allsky.py): a fisheye frame with the stars,
the moon where the ephemeris puts it, clouds as the weather says, the dome's slit."""

from __future__ import annotations

import io
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from PIL import Image

from pyros.scheduling.problem import SiteSpec, night_of
from pyros.scheduling.sky import night_sky
from pyros.simulators.allsky import (
    MAX_SIZE,
    DomeView,
    _project,
    cloud_cover,
    render_all_sky,
)

SITE = SiteSpec(latitude=31.04, longitude=-115.46, elevation=2830.0)
MOONLESS = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)  # two days before new moon, 02:00 local
MOONLIT = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)  # a waxing gibbous moon high in the west
NOON = datetime(2026, 11, 22, 19, 40, tzinfo=UTC)
SIZE = 400


def pixels(png: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (SIZE, SIZE)
    return np.asarray(image.convert("RGB"), dtype=int)


def star_count(frame: np.ndarray) -> int:
    """Points brighter than their surroundings by a clear margin, inside the circle."""
    grey = frame.mean(axis=2)
    around = np.maximum.reduce([np.roll(grey, 3, 0), np.roll(grey, -3, 0),
                                np.roll(grey, 3, 1), np.roll(grey, -3, 1)])
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    inside = np.hypot(xx - SIZE / 2, yy - SIZE / 2) < SIZE / 2 - 20
    return int(((grey > around + 40) & inside).sum())


def test_a_clear_moonless_night_shows_many_stars_and_an_overcast_one_none():
    clear = pixels(render_all_sky(SITE, MOONLESS, cover=0.0, size=SIZE))
    overcast = pixels(render_all_sky(SITE, MOONLESS, cover=1.0, size=SIZE))
    assert star_count(clear) > 300
    assert star_count(overcast) == 0
    half = pixels(render_all_sky(SITE, MOONLESS, cover=0.5, size=SIZE))
    assert 0.2 * star_count(clear) < star_count(half) < 0.8 * star_count(clear)


def test_the_moon_is_drawn_where_the_ephemeris_puts_it():
    sky = night_sky(SITE, night_of(MOONLIT, SITE.longitude))
    seconds = sky.seconds_of(MOONLIT)
    altitude = float(np.interp(seconds, sky.seconds, sky.moon_alt))
    azimuth = float(np.interp(seconds, sky.seconds, sky.moon_az))
    assert altitude > 20.0
    x, y = _project(np.array([altitude]), np.array([azimuth]), SIZE)
    frame = pixels(render_all_sky(SITE, MOONLIT, cover=0.0, size=SIZE))
    assert frame[int(y[0]), int(x[0])].min() > 200  # the disc
    grey = frame.mean(axis=2)
    grey[:20, :] = 0  # the captions
    grey[-20:, :] = 0
    box = sum(np.roll(np.roll(grey, dy, 0), dx, 1) for dy in range(-3, 4) for dx in range(-3, 4))
    by, bx = np.unravel_index(np.argmax(box), box.shape)
    assert math.hypot(bx - x[0], by - y[0]) < 6  # the brightest patch is there, not a star


def test_day_is_bright_and_night_dark():
    day = pixels(render_all_sky(SITE, NOON, cover=0.0, size=SIZE))
    night = pixels(render_all_sky(SITE, MOONLESS, cover=0.0, size=SIZE))
    centre = slice(SIZE // 2 - 40, SIZE // 2 + 40)
    assert day[centre, centre].mean() > 100 > 20 > night[centre, centre].mean()


def test_the_dome_slit_is_drawn_green_open_and_red_closed():
    def slit_colour(shutter: str) -> np.ndarray:
        frame = pixels(render_all_sky(SITE, MOONLESS, cover=0.0, size=SIZE,
                                      dome=DomeView(shutter, 90.0)))
        # The slit's edges run from the horizon to the zenith 7.5° either side of east.
        x, y = _project(np.array([45.0]), np.array([97.5]), SIZE)
        return frame[int(y[0]) - 1:int(y[0]) + 2, int(x[0]) - 1:int(x[0]) + 2].reshape(-1, 3)

    opened, closed = slit_colour("OPEN"), slit_colour("CLOSED")
    assert (opened[:, 1] > 150).any() and (opened[:, 1] > opened[:, 0] + 80).any()
    assert (closed[:, 0] > 150).any() and (closed[:, 0] > closed[:, 1] + 80).any()


def test_clouds_drift_and_frames_are_reproducible():
    first = render_all_sky(SITE, MOONLESS, cover=0.5, size=SIZE)
    assert render_all_sky(SITE, MOONLESS, cover=0.5, size=SIZE) == first
    later = pixels(render_all_sky(SITE, MOONLESS + timedelta(minutes=10), cover=0.5,
                                  size=SIZE))
    assert np.abs(later - pixels(first)).mean() > 2.0


@pytest.mark.parametrize("size", [0, 10, MAX_SIZE + 1, 100_000])
def test_sizes_are_bounded(size):
    with pytest.raises(ValueError, match="size must be between"):
        render_all_sky(SITE, MOONLESS, size=size)


def test_cloud_cover_from_the_infrared_sky_temperature():
    assert cloud_cover(-40.0) == 0.0
    assert cloud_cover(-20.0) == pytest.approx(0.5)
    assert cloud_cover(-2.0) == 1.0
    assert cloud_cover(None) is None and cloud_cover(float("nan")) is None
    assert cloud_cover(None, raining=True) == 1.0
    with pytest.raises(ValueError, match="cloud cover"):
        render_all_sky(SITE, MOONLESS, cover=1.5)
