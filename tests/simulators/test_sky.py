"""The simulated camera's images: WCS, star field, sky background, detector, headers.

Most frames are small (256x320 pixels of 1 arcsec) with explicit sky conditions, so that
no astropy coordinate transform runs; the tests that compute conditions say so.
"""

from __future__ import annotations

import io
import itertools
import math
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.wcs import WCS

from pyros.config.schema import Channel, Site
from pyros.simulators.sky import (
    ADC_MAX,
    FLAT_LEVEL,
    Detector,
    FrameRequest,
    FrameType,
    Region,
    SkyConditions,
    airmass,
    expected_electrons,
    render_frame,
    sky_background,
    sky_conditions,
    stars_near,
)

SITE = Site(name="San Pedro Martir", latitude=31.0439, longitude=-115.4637, elevation=2790.0)
START = datetime(2026, 11, 21, 7, 30, tzinfo=UTC)
DETECTOR = Detector(width=320, height=256, pixel_scale=1.0)
DARK_NIGHT = SkyConditions(sun_altitude=-40.0, moon_altitude=-30.0, moon_illumination=0.0,
                           moon_separation=120.0, target_altitude=60.0)
BRIGHT_MOON = replace(DARK_NIGHT, moon_altitude=50.0, moon_illumination=1.0,
                      moon_separation=15.0)
TWILIGHT = replace(DARK_NIGHT, sun_altitude=-12.0)


def light(ra: float = 45.0, dec: float = 30.0, **changes) -> FrameRequest:
    frame = FrameRequest(frame_type=FrameType.LIGHT, exposure=2.0, detector=DETECTOR,
                         time=START, site=SITE, ra=ra, dec=dec, filter_name="r",
                         seeing=2.0, conditions=DARK_NIGHT, telescope="COLIBRI",
                         instrument="VIS camera", seed=7)
    return replace(frame, **changes)


def calibration(frame_type: FrameType, **changes) -> FrameRequest:
    frame = FrameRequest(frame_type=frame_type, exposure=0.0, detector=DETECTOR, time=START,
                         site=SITE, seed=3)
    return replace(frame, **changes)


def world_to_pixel(header: fits.Header, ra: float, dec: float) -> tuple[float, float]:
    x, y = WCS(header).world_to_pixel(SkyCoord(ra * u.deg, dec * u.deg))
    return float(x), float(y)


def centroid(image: np.ndarray, x: float, y: float, half: int = 5) -> tuple[float, float]:
    """First moment of the background-subtracted light in a box around (x, y)."""
    cx, cy = round(x), round(y)
    box = image[cy - half:cy + half + 1, cx - half:cx + half + 1].astype(float)
    box = np.clip(box - np.median(image), 0.0, None)
    rows, cols = np.mgrid[cy - half:cy + half + 1, cx - half:cx + half + 1]
    return float((cols * box).sum() / box.sum()), float((rows * box).sum() / box.sum())


def isolated_star(ra: float, dec: float) -> tuple[float, float, float]:
    """A catalogue star of magnitude 12-14 with no star within 6 magnitudes of it in 15
    arcsec, near (ra, dec): position and magnitude."""
    stars = stars_near(ra, dec, 0.5)
    for i in np.argsort(stars.magnitude):
        m = stars.magnitude[i]
        if not 12.0 <= m <= 14.0:
            continue
        near = stars_near(stars.ra[i], stars.dec[i], 15.0 / 3600.0)
        if np.sum(near.magnitude < m + 6.0) == 1:
            return float(stars.ra[i]), float(stars.dec[i]), float(m)
    raise AssertionError("no isolated star of magnitude 12-14 in the test field")


# --- WCS -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("ra", "dec", "binning"), [
    (45.0, 30.0, 1), (0.001, -0.5, 2), (359.99, 60.0, 3), (180.0, 89.9, 1), (270.0, -89.5, 4),
])
def test_the_pointing_is_at_the_centre_of_the_image(ra: float, dec: float, binning: int):
    """On a detector that the binning divides (else the dropped pixels shift the image
    off the optical axis, as on a real camera)."""
    frame = light(ra, dec, binning=binning, detector=Detector(384, 288, 0.7))
    hdu = render_frame(frame)[0]
    ny, nx = hdu.data.shape
    centre = WCS(hdu.header).pixel_to_world((nx - 1) / 2, (ny - 1) / 2)
    assert centre.separation(SkyCoord(ra * u.deg, dec * u.deg)).arcsec < 0.1


def test_north_is_up_east_is_left_at_the_pixel_scale():
    hdu = render_frame(light(binning=2))[0]
    wcs = WCS(hdu.header)
    centre = wcs.pixel_to_world(79.5, 63.5)
    up, right = wcs.pixel_to_world(79.5, 73.5), wcs.pixel_to_world(89.5, 63.5)
    assert up.dec > centre.dec and abs(up.ra.deg - centre.ra.deg) < 1e-9
    assert right.ra < centre.ra  # east (growing RA) is to the left
    assert up.separation(centre).arcsec == pytest.approx(20.0, rel=1e-4)  # 10 px of 2"
    assert right.separation(centre).arcsec == pytest.approx(20.0, rel=1e-4)


@pytest.mark.parametrize(("binning", "region"), [
    (1, None), (2, None), (4, None), (1, Region(40, 30, 200, 180)), (3, Region(17, 5, 250, 240)),
])
def test_a_catalogue_star_appears_where_the_wcs_says(binning: int, region: Region | None):
    ra, dec, _ = isolated_star(120.0, 10.0)
    # Point 40" east and 25" south of the star, so that it lies off the centre.
    pointing_ra = ra + 40.0 / 3600.0 / math.cos(math.radians(dec))
    frame = light(pointing_ra, dec - 25.0 / 3600.0, binning=binning, region=region,
                  exposure=2.0 / binning**2)  # a binned pixel sums binning^2 pixels
    hdu = render_frame(frame)[0]
    x, y = world_to_pixel(hdu.header, ra, dec)
    assert np.median(hdu.data) + 2000 < hdu.data[round(y), round(x)] < ADC_MAX  # unsaturated
    assert math.dist(centroid(hdu.data, x, y), (x, y)) < 0.3


def test_a_window_is_the_same_sky_as_the_full_frame():
    full = light(binning=2)
    window = replace(full, region=Region(60, 40, 120, 100))
    whole, part = expected_electrons(full, DARK_NIGHT), expected_electrons(window, DARK_NIGHT)
    assert part.shape == (50, 60)
    np.testing.assert_allclose(part, whole[20:70, 30:90], rtol=1e-9)
    wcs_full, wcs_part = (WCS(render_frame(f)[0].header) for f in (full, window))
    sky = wcs_full.pixel_to_world(33.0, 21.0)
    np.testing.assert_allclose(wcs_part.world_to_pixel(sky), (3.0, 1.0), atol=1e-6)


def test_binning_sums_the_charge_of_the_pixels():
    unbinned = expected_electrons(light(), DARK_NIGHT)
    binned = expected_electrons(light(binning=2), DARK_NIGHT)
    summed = unbinned.reshape(128, 2, 160, 2).sum(axis=(1, 3))
    # The erf approximation (1.5e-7) leaves < 1 e- in the cores of bright stars.
    np.testing.assert_allclose(binned, summed, rtol=1e-4, atol=1.0)


# --- The star field ------------------------------------------------------------------------


def test_the_same_request_gives_the_same_pixels():
    first, second = render_frame(light()), render_frame(light())
    assert np.array_equal(first[0].data, second[0].data)
    other_noise = render_frame(light(seed=8))[0].data
    assert not np.array_equal(first[0].data, other_noise)
    np.testing.assert_array_equal(expected_electrons(light(), DARK_NIGHT),
                                  expected_electrons(light(seed=8), DARK_NIGHT))


def test_a_sky_region_holds_the_same_stars_whatever_the_pointing():
    ra, dec, radius = 210.3, -35.2, 0.2
    alone = stars_near(ra, dec, radius)
    wider = stars_near(ra + 0.15, dec - 0.1, 0.6)  # another centre, a cone that holds it
    inside = SkyCoord(wider.ra * u.deg, wider.dec * u.deg).separation(
        SkyCoord(ra * u.deg, dec * u.deg)).deg <= radius
    assert len(alone) > 100
    assert sorted(zip(alone.ra, alone.dec, alone.magnitude, strict=True)) == sorted(
        zip(wider.ra[inside], wider.dec[inside], wider.magnitude[inside], strict=True))


def test_the_catalogue_wraps_at_ra_zero_and_covers_the_poles():
    across = stars_near(0.05, 10.0, 0.3)
    assert np.any(across.ra > 359.0) and np.any(across.ra < 1.0)
    cone_area = 2 * math.pi * (1 - math.cos(math.radians(2.0))) * (180 / math.pi) ** 2
    densities = [len(stars_near(100.0, dec, 2.0)) / cone_area for dec in (0.0, 60.0, 89.7)]
    assert all(4700 < d < 5300 for d in densities)  # uniform on the sphere: 5000 / deg^2


def test_star_counts_grow_as_ten_to_the_0_3_m_up_to_magnitude_20():
    stars = stars_near(50.0, 30.0, 4.0)
    assert stars.magnitude.max() <= 20.0 and stars.magnitude.min() >= 5.0
    counts, _ = np.histogram(stars.magnitude, bins=np.arange(12.0, 21.0))
    slope = np.polyfit(np.arange(12.5, 20.5), np.log10(counts), 1)[0]
    assert slope == pytest.approx(0.3, abs=0.02)


def test_overlapping_frames_show_the_same_stars_at_the_same_sky_positions():
    ra, dec, magnitude = isolated_star(300.0, -20.0)
    first = light(ra + 0.01, dec + 0.005)
    second = light(ra - 0.01, dec - 0.008)  # a pointing ~80" away: the star is in both
    fluxes = []
    for frame in (first, second):
        image = expected_electrons(frame, DARK_NIGHT)
        x, y = world_to_pixel(render_frame(frame)[0].header, ra, dec)
        assert math.dist(centroid(image, x, y), (x, y)) < 0.02  # noise-free: tight
        box = image[round(y) - 6:round(y) + 7, round(x) - 6:round(x) + 7]
        fluxes.append(box.sum() - box.size * np.median(image))
    assert fluxes[0] == pytest.approx(fluxes[1], rel=0.03)  # vignetting differs a little
    expected = 2.0 * 10 ** (-0.4 * (magnitude + 0.1 * airmass(60.0) - 25.0))
    assert fluxes[0] == pytest.approx(expected, rel=0.1)


# --- Sky background ------------------------------------------------------------------------


def test_a_bright_moon_nearby_and_twilight_brighten_the_sky():
    dark = sky_background("r", 1.0, DARK_NIGHT)
    assert dark == pytest.approx(10 ** (-0.4 * (21.1 - 25.0)) * airmass(60.0), rel=0.05)
    near_moon = sky_background("r", 1.0, BRIGHT_MOON)
    far_moon = sky_background("r", 1.0, replace(BRIGHT_MOON, moon_separation=120.0))
    new_moon = sky_background("r", 1.0, replace(BRIGHT_MOON, moon_illumination=0.0))
    assert near_moon > 10 * dark and dark < far_moon < near_moon
    assert new_moon == pytest.approx(dark)
    twilight = [sky_background("r", 1.0, replace(DARK_NIGHT, sun_altitude=h))
                for h in (-20.0, -18.0, -15.0, -12.0, -8.0, -3.0)]
    assert twilight[0] == twilight[1] == pytest.approx(dark)
    assert all(a < b for a, b in itertools.pairwise(twilight[1:]))
    assert twilight[4] > 100 * dark


def test_the_sky_depends_on_the_filter_and_the_pixel_size():
    assert sky_background("H", 1.0, DARK_NIGHT) > 100 * sky_background("r", 1.0, DARK_NIGHT)
    assert sky_background("g", 1.0, DARK_NIGHT) < sky_background("r", 1.0, DARK_NIGHT)
    assert sky_background("r", 2.0, DARK_NIGHT) == pytest.approx(
        4 * sky_background("r", 1.0, DARK_NIGHT))
    assert sky_background("Unknown filter", 1.0, DARK_NIGHT) > 0


@pytest.mark.parametrize("conditions", [BRIGHT_MOON, TWILIGHT])
def test_rendered_background_follows_the_conditions(conditions: SkyConditions):
    def median(c: SkyConditions) -> float:
        return float(np.median(render_frame(light(exposure=10.0, conditions=c))[0].data))

    dark, bright = median(DARK_NIGHT), median(conditions)
    assert bright > dark + 100
    rate = sky_background("r", 1.0, conditions)
    assert bright - 1000.0 == pytest.approx(rate * 10.0 / 1.5, rel=0.05)  # minus bias, /gain


def test_conditions_computed_from_time_and_site():
    """Astropy ephemerides, offline: full moon on 2026-11-24, new moon on 2026-11-09."""
    midnight_full = sky_conditions(SITE, datetime(2026, 11, 24, 7, 45, tzinfo=UTC), 60.0, 20.0)
    assert midnight_full.sun_altitude < -60 and midnight_full.moon_illumination > 0.97
    assert midnight_full.moon_altitude > 60  # high in the sky at midnight
    new = sky_conditions(SITE, datetime(2026, 11, 9, 7, 45, tzinfo=UTC), 60.0, 20.0)
    assert new.moon_illumination < 0.03 and new.moon_altitude < 0
    noon = sky_conditions(SITE, datetime(2026, 11, 21, 19, 45, tzinfo=UTC), 60.0, 20.0)
    assert noon.sun_altitude > 30
    frame = light(60.0, 20.0, time=datetime(2026, 11, 24, 7, 45, tzinfo=UTC), conditions=None)
    header = render_frame(frame)[0].header
    assert header["MOONILL"] > 0.97 and header["SUNALT"] < -60
    assert header["AIRMASS"] == pytest.approx(airmass(header["OBJALT"]), abs=1e-3)


# --- Calibration frames, saturation, shapes ------------------------------------------------


def test_a_bias_is_the_bias_level_and_the_read_noise():
    data = render_frame(calibration(FrameType.BIAS, exposure=100.0))[0].data
    assert data.mean() == pytest.approx(1000.0, abs=0.2)
    assert data.std() == pytest.approx(8.0 / 1.5, rel=0.03)


def test_a_dark_holds_the_dark_current_of_its_temperature():
    def mean(temperature: float) -> float:
        frame = calibration(FrameType.DARK, exposure=300.0, ccd_temperature=temperature)
        return float(render_frame(frame)[0].data.mean())

    warm_rate = DETECTOR.dark_rate(10.0)
    assert warm_rate == pytest.approx(0.02 * 2 ** (30 / 6.3))
    assert mean(10.0) == pytest.approx(1000.0 + warm_rate * 300.0 / 1.5, abs=0.5)
    assert mean(-20.0) == pytest.approx(1000.0 + 0.02 * 300.0 / 1.5, abs=0.5)


@pytest.mark.parametrize("binning", [1, 2])
def test_a_flat_is_bright_with_mild_vignetting(binning: int):
    data = render_frame(calibration(FrameType.FLAT, exposure=5.0, binning=binning))[0].data
    ny, nx = data.shape
    centre = data[ny // 2 - 8:ny // 2 + 8, nx // 2 - 8:nx // 2 + 8].mean()
    corner = data[:8, :8].mean()
    assert centre == pytest.approx(FLAT_LEVEL, rel=0.01)
    assert 0.9 * centre < corner < 0.97 * centre


def test_pixels_saturate_at_65535_without_wrapping():
    data = render_frame(light(exposure=30.0, conditions=replace(DARK_NIGHT,
                                                                sun_altitude=-1.0)))[0].data
    assert data.dtype == np.uint16 and data.min() == ADC_MAX
    ra, dec, _ = isolated_star(120.0, 10.0)
    starry = render_frame(light(ra, dec, exposure=60.0))[0].data
    assert starry.max() == ADC_MAX and np.median(starry) < 0.1 * ADC_MAX


@pytest.mark.parametrize(("binning", "region", "shape"), [
    (1, None, (256, 320)),
    (2, None, (128, 160)),
    (3, None, (85, 106)),
    (4, Region(10, 20, 101, 50), (12, 25)),
    (1, Region(0, 0, 1, 1), (1, 1)),
])
def test_binning_and_window_give_the_image_shape(binning, region, shape):
    assert render_frame(light(binning=binning, region=region))[0].data.shape == shape
    frame = calibration(FrameType.BIAS, binning=binning, region=region)
    assert render_frame(frame)[0].data.shape == shape


@pytest.mark.parametrize(("changes", "message"), [
    ({"ra": None, "dec": None}, "needs a pointing"),
    ({"dec": None}, "both ra and dec"),
    ({"binning": 5}, "binning"),
    ({"time": datetime(2026, 11, 21, 7, 30)}, "timezone"),
    ({"region": Region(300, 0, 40, 10)}, "not inside"),
    ({"region": Region(0, 0, 1, 10), "binning": 2}, "smaller than one"),
    ({"exposure": -1.0}, "negative"),
])
def test_impossible_requests_are_refused(changes: dict, message: str):
    with pytest.raises(ValueError, match=message):
        light(**changes)


# --- Headers and the FITS file -------------------------------------------------------------


def test_headers_describe_the_exposure():
    header = render_frame(light(object_name="M 31", binning=2))[0].header
    assert header["DATE-OBS"] == "2026-11-21T07:30:00.000"
    assert (header["EXPTIME"], header["IMAGETYP"], header["FILTER"]) == (2.0, "LIGHT", "r")
    assert (header["XBINNING"], header["YBINNING"], header["CCD-TEMP"]) == (2, 2, -20.0)
    assert (header["GAIN"], header["RDNOISE"]) == (1.5, 8.0)
    assert (header["RA"], header["DEC"], header["OBJECT"]) == (45.0, 30.0, "M 31")
    assert (header["TELESCOP"], header["INSTRUME"]) == ("COLIBRI", "VIS camera")
    assert header["AIRMASS"] == pytest.approx(1 / math.sin(math.radians(60.0)), abs=2e-3)
    assert header["CTYPE1"] == "RA---TAN" and header["CD1_1"] == pytest.approx(-2 / 3600)


def test_calibration_headers_have_no_sky():
    header = render_frame(calibration(FrameType.DARK, exposure=10.0, ra=1.0, dec=2.0))[0].header
    assert header["IMAGETYP"] == "DARK"
    assert all(key not in header for key in ("RA", "AIRMASS", "CTYPE1", "OBJECT"))


def test_the_fits_file_keeps_unsigned_16_bit_pixels():
    hdus = render_frame(light(exposure=60.0))
    buffer = io.BytesIO()
    hdus.writeto(buffer)
    buffer.seek(0)
    with fits.open(buffer) as again:
        assert (again[0].header["BITPIX"], again[0].header["BZERO"]) == (16, 32768)
        assert again[0].data.dtype == np.uint16
        assert np.array_equal(again[0].data, hdus[0].data)


def test_a_detector_wider_than_the_simulated_sky_is_refused():
    with pytest.raises(ValueError, match="up to 20 degrees"):
        Detector(width=4096, height=4096, pixel_scale=20.0)


def test_a_detector_from_the_channel_configuration():
    channel = Channel(name="VIS", detector="Visible camera", camera="camera_vis", width=2048,
                      height=1024, pixel_scale=0.38, readout_time=6.0, filters=["r"])
    detector = Detector.from_channel(channel, gain=2.0)
    assert (detector.width, detector.height, detector.pixel_scale) == (2048, 1024, 0.38)
    assert detector.gain == 2.0 and detector.read_noise == 8.0


def test_a_full_2048_pixel_frame():
    detector = Detector(width=2048, height=2048, pixel_scale=0.38)
    frame = light(detector=detector, exposure=60.0, conditions=BRIGHT_MOON)
    hdu = render_frame(frame)[0]
    assert hdu.data.shape == (2048, 2048) and hdu.data.dtype == np.uint16
    centre = WCS(hdu.header).pixel_to_world(1023.5, 1023.5)
    assert centre.separation(SkyCoord(45.0 * u.deg, 30.0 * u.deg)).arcsec < 0.1
    sky = sky_background("r", 0.38, BRIGHT_MOON) * 60.0 / 1.5
    assert np.median(hdu.data) == pytest.approx(1000.0 + sky, rel=0.05)


def test_a_twilight_flat_is_as_bright_as_the_sun_makes_the_sky():
    def level(sun: float, exposure: float) -> float:
        frame = calibration(FrameType.FLAT, exposure=exposure, ra=120.0, dec=10.0,
                            conditions=replace(DARK_NIGHT, sun_altitude=sun))
        data = render_frame(frame)[0].data
        ny, nx = data.shape
        return float(np.median(data[ny // 4:3 * ny // 4, nx // 4:3 * nx // 4]))

    assert level(-3.0, 5.0) == ADC_MAX  # five seconds at sun -3°: saturated
    assert level(-9.0, 1.0) < 10_000  # one second at -9°: far from a flat's level
    signal = level(-7.5, 1.0) - 1000.0, level(-7.5, 2.0) - 1000.0
    assert signal[1] == pytest.approx(2 * signal[0], rel=0.02)  # linear in the exposure
