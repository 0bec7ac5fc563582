"""The simulated all-sky camera: what a fisheye camera beside the dome would see now.

A frame is drawn from what the rest of the simulation knows, so that it agrees with the
other pages: the sun and the moon from the night's sky (``scheduling.sky``, cached per
night), the stars of a fixed bright-star field (to magnitude 5.5, the same every time),
the clouds from the latest weather reading's cloud cover, and the dome's slit from the
dome device's status. Equidistant fisheye: the zenith at the centre, the horizon on the
circle, north up and east to the left, as one sees the sky looking up.

The clouds are a smooth random field that drifts with time (a few octaves of random
grids enlarged by Pillow's bicubic resampling), kept where the field exceeds the
fraction the cover asks for: 0 is a clear sky, 1 an overcast one. Plain Python (numpy,
Pillow); returns PNG bytes of a bounded size.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

from pyros.scheduling.problem import SiteSpec, night_of
from pyros.scheduling.sky import NightSky, night_sky

MIN_SIZE, MAX_SIZE, DEFAULT_SIZE = 64, 1024, 480
STAR_SEED = 20_261_206
STAR_COUNT = 3000  # about the stars brighter than 5.5 on the whole sky
FAINTEST = 5.5
CLOUD_DRIFT = 600.0  # seconds for the clouds to move by one large cell
#: Sky minus ambient temperatures (K) of a clear and an overcast sky: a rough scale to
#: turn the infrared sensor's reading into a cloud cover.
CLEAR_SKY, OVERCAST_SKY = -35.0, -5.0


@dataclass(frozen=True)
class DomeView:
    """The dome as the camera shows it: its shutter state and the slit's azimuth."""

    shutter: str  # OPEN, CLOSED, OPENING, CLOSING, UNKNOWN
    azimuth: float | None  # degrees; None for a roll-off roof


def cloud_cover(sky_minus_ambient: float | None, raining: bool = False) -> float | None:
    """A cloud cover (0 clear .. 1 overcast) from the sky minus ambient temperature;
    None when it is unknown."""
    if raining:
        return 1.0
    if sky_minus_ambient is None or not math.isfinite(sky_minus_ambient):
        return None
    cover = (sky_minus_ambient - CLEAR_SKY) / (OVERCAST_SKY - CLEAR_SKY)
    return float(min(1.0, max(0.0, cover)))


@lru_cache(maxsize=1)
def bright_stars() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """RA, Dec (degrees) and V magnitude of a fixed field of bright stars: uniform on
    the sphere, their number growing as 10^(0.3 m) up to :data:`FAINTEST`."""
    rng = np.random.default_rng(STAR_SEED)
    ra = rng.uniform(0.0, 360.0, STAR_COUNT)
    dec = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, STAR_COUNT)))
    magnitude = np.maximum(-1.5, FAINTEST + np.log10(rng.uniform(1e-9, 1.0, STAR_COUNT)) / 0.3)
    return ra, dec, magnitude


def _sky_colour(sun_altitude: float) -> np.ndarray:
    """The zenith's colour (RGB 0..1) for the sun's altitude: day blue, twilight deep
    blue, night almost black."""
    stops = np.array([-18.0, -12.0, -6.0, 0.0, 10.0])
    colours = np.array([[0.02, 0.02, 0.04], [0.04, 0.05, 0.12], [0.12, 0.18, 0.38],
                        [0.45, 0.55, 0.80], [0.50, 0.68, 0.95]])
    return np.array([np.interp(sun_altitude, stops, colours[:, k]) for k in range(3)])


def _clouds(size: int, now: datetime, cover: float) -> np.ndarray:
    """Cloud opacity 0..1 on a ``size`` square: a drifting smooth field thresholded so
    that about ``cover`` of the sky is cloudy."""
    if cover <= 0.0:
        return np.zeros((size, size))
    drift = now.timestamp() / CLOUD_DRIFT
    step = math.floor(drift)
    fraction = drift - step
    field = np.zeros((size, size))
    for octave, cells in enumerate((6, 12, 24)):
        weight = 0.5 ** octave
        layers = []
        for k in (step, step + 1):  # two instants, blended: the clouds move smoothly
            rng = np.random.default_rng([STAR_SEED, octave, k & 0xFFFFFFFF])
            grid = rng.random((cells, cells)).astype(np.float32)
            image = Image.fromarray(grid, mode="F").resize((size, size), Image.BICUBIC)
            layers.append(np.asarray(image, dtype=float))
        shift = int(fraction * size / cells)
        blended = (1.0 - fraction) * np.roll(layers[0], shift, axis=1) \
            + fraction * np.roll(layers[1], shift - size // cells, axis=1)
        field += weight * blended
    field = (field - field.min()) / max(1e-9, field.max() - field.min())
    threshold = float(np.quantile(field, 1.0 - cover)) if cover < 1.0 else -1.0
    return np.clip((field - threshold) / 0.08, 0.0, 1.0)


def _project(altitude: np.ndarray, azimuth: np.ndarray, size: int
             ) -> tuple[np.ndarray, np.ndarray]:
    """Equidistant fisheye: pixel x, y of altitude/azimuth (degrees); north up, east left."""
    radius = (90.0 - altitude) / 90.0 * (size / 2.0 - 2.0)
    az = np.radians(azimuth)
    return size / 2.0 - radius * np.sin(az), size / 2.0 - radius * np.cos(az)


def _instant(sky: NightSky, now: datetime) -> float:
    return min(max(sky.seconds_of(now), 0.0), float(sky.seconds[-1]))


def render_all_sky(site: SiteSpec, now: datetime, *, cover: float | None = None,
                   dome: DomeView | None = None, size: int = DEFAULT_SIZE,
                   caption: str = "") -> bytes:
    """The frame at ``now`` as PNG bytes (``size`` pixels square, bounded)."""
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(f"size must be between {MIN_SIZE} and {MAX_SIZE} pixels, not {size}")
    if cover is not None and not 0.0 <= cover <= 1.0:
        raise ValueError(f"cloud cover must be between 0 and 1, not {cover}")
    sky = night_sky(site, night_of(now, site.longitude))
    seconds = _instant(sky, now)
    sun_alt = float(np.interp(seconds, sky.seconds, sky.sun_alt))
    moon_alt = float(np.interp(seconds, sky.seconds, sky.moon_alt))
    moon_az = float(np.degrees(np.interp(seconds, sky.seconds,
                                         np.unwrap(np.radians(sky.moon_az)))) % 360.0)
    illumination = float(np.interp(seconds, sky.seconds, sky.moon_illumination))

    yy, xx = np.mgrid[0:size, 0:size]
    centre = size / 2.0
    r = np.hypot(xx - centre + 0.5, yy - centre + 0.5) / (size / 2.0 - 2.0)
    inside = r <= 1.0
    zenith = _sky_colour(sun_alt)
    horizon_glow = 1.0 + 0.8 * np.clip(r, 0.0, 1.0) ** 2  # brighter towards the horizon
    image = zenith[None, None, :] * horizon_glow[:, :, None]

    # Moonlight brightens the whole sky a little, and much around the moon.
    if moon_alt > 0.0:
        mx, my = _project(np.array([moon_alt]), np.array([moon_az]), size)
        distance = np.hypot(xx - mx[0], yy - my[0]) / size
        glow = illumination * (0.06 + 0.35 * np.exp(-(distance / 0.08) ** 2))
        image = image + glow[:, :, None] * np.array([0.55, 0.6, 0.7])[None, None, :]

    # Stars: a point each, as bright as the background lets it be seen.
    ra, dec, magnitude = bright_stars()
    alt, az, _ = sky.altaz_at(ra, dec, np.full(ra.shape, seconds))
    up = alt > 0.0
    sx, sy = _project(alt[up], az[up], size)
    flux = 10.0 ** (-0.4 * (magnitude[up] - 1.0))
    background = float(zenith.mean()) + (0.06 * illumination if moon_alt > 0 else 0.0)
    contrast = np.clip(flux * 0.9 - background * 4.0, 0.0, 1.5)
    stars = np.zeros((size, size))
    ix, iy = np.clip(sx.astype(int), 0, size - 1), np.clip(sy.astype(int), 0, size - 1)
    np.add.at(stars, (iy, ix), contrast)
    if size >= 200:  # a touch of spread, so that the stars read at any zoom
        spread = stars.copy()
        for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            spread += 0.35 * np.roll(np.roll(stars, dy, axis=0), dx, axis=1)
        stars = spread

    # Clouds hide the stars and take the light there is (twilight, the moon, the town).
    opacity = _clouds(size, now, cover) if cover is not None else np.zeros((size, size))
    stars = stars * (1.0 - opacity)
    cloud_light = 0.10 + 0.9 * float(zenith.mean()) + (0.25 * illumination if moon_alt > 0
                                                        else 0.0)
    image = image * (1.0 - opacity[:, :, None]) \
        + opacity[:, :, None] * np.array([cloud_light] * 3)[None, None, :]
    image = image + stars[:, :, None]
    if moon_alt > 0.0:
        mx, my = _project(np.array([moon_alt]), np.array([moon_az]), size)
        disc = np.hypot(xx - mx[0], yy - my[0]) <= max(2.0, size / 90.0)
        image[disc] = 0.35 + 0.65 * illumination
    image[~inside] = 0.0
    pixels = (np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)
    frame = Image.fromarray(pixels, mode="RGB")
    _overlay(ImageDraw.Draw(frame), size, now, dome, cover, caption)
    buffer = io.BytesIO()
    frame.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def _overlay(draw: ImageDraw.ImageDraw, size: int, now: datetime, dome: DomeView | None,
             cover: float | None, caption: str) -> None:
    """The dome's slit, the cardinal points and the time, drawn over the sky."""
    edge = size / 2.0 - 2.0
    centre = size / 2.0
    for label, az in (("N", 0.0), ("E", 90.0), ("S", 180.0), ("W", 270.0)):
        x, y = _project(np.array([2.0]), np.array([az]), size)
        draw.text((float(x[0]) - 3, float(y[0]) - 6), label, fill=(200, 170, 90))
    draw.ellipse((centre - edge, centre - edge, centre + edge, centre + edge),
                 outline=(90, 90, 90))
    if dome is not None:
        opened = dome.shutter == "OPEN"
        colour = (60, 200, 90) if opened else (220, 70, 60) if dome.shutter == "CLOSED" \
            else (230, 180, 40)
        if dome.azimuth is not None:
            for side in (-7.5, 7.5):  # the slit's two edges, from the horizon to the zenith
                x, y = _project(np.array([0.0, 90.0]), np.array([dome.azimuth + side] * 2),
                                size)
                draw.line((float(x[0]), float(y[0]), float(x[1]), float(y[1])),
                          fill=colour, width=2)
        where = f" az {dome.azimuth:.0f}°" if dome.azimuth is not None else ""
        draw.text((4, size - 14), f"dome {dome.shutter.lower()}{where}", fill=colour)
    draw.text((4, 3), f"{now:%Y-%m-%d %H:%M:%S} UTC", fill=(230, 230, 230))
    clouds = "clouds ?" if cover is None else f"clouds {round(100 * cover)} %"
    draw.text((size - 6 * len(clouds) - 4, 3), clouds, fill=(230, 230, 230))
    if caption:
        draw.text((size - 6 * len(caption) - 4, size - 14), caption, fill=(200, 160, 255))
