"""Honest simulated frames: transients drawn where and as bright as their light curve says,
a TRUTH extension that agrees with the pixels, and headers that give the noise the
pixels really have. Frames have explicit sky conditions (no ephemeris) and most are
small, or windows of a larger detector."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import sep

from pyros.analysis.frames import load_frame
from pyros.config.schema import Site
from pyros.devices.interfaces import Region
from pyros.simulators.sky import (
    Detector,
    FrameRequest,
    FrameType,
    SkyConditions,
    _read_out,
    airmass,
    band,
    expected_electrons,
    render_frame,
    stars_near,
)
from pyros.simulators.transients import Transient
from pyros.simulators.truth import LIMIT_APERTURE, frame_truth, read_truth

SITE = Site(name="San Pedro Martir", latitude=31.0439, longitude=-115.4637, elevation=2790.0)
START = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
DARK_NIGHT = SkyConditions(sun_altitude=-40.0, moon_altitude=-30.0, moon_illumination=0.0,
                           moon_separation=120.0, target_altitude=60.0)
SCALE = 0.38
SMALL = Detector(width=256, height=256, pixel_scale=SCALE)
FIELD = Detector(width=1024, height=1024, pixel_scale=SCALE)
POINTING = (40.0, 30.0)


def light(detector: Detector = SMALL, exposure: float = 10.0, **changes) -> FrameRequest:
    frame = FrameRequest(frame_type=FrameType.LIGHT, exposure=exposure, detector=detector,
                         time=START, site=SITE, ra=POINTING[0], dec=POINTING[1],
                         filter_name="r", seeing=1.5, conditions=DARK_NIGHT, seed=11)
    return replace(frame, **changes)


def empty_spot(frame: FrameRequest, dx: float, dy: float) -> tuple[float, float]:
    """An (ra, dec) about (dx, dy) unbinned pixels from the pointing (x towards the west,
    y north) with no catalogue star brighter than 19 within 12 arcsec, searched along x."""
    scale = frame.detector.pixel_scale / 3600.0
    for step in range(200):
        ra = frame.ra - (dx + step * 3) * scale / math.cos(math.radians(frame.dec))
        dec = frame.dec + dy * scale
        if not np.any(stars_near(ra, dec, 12.0 / 3600.0).magnitude < 19.0):
            return ra % 360.0, dec
    raise AssertionError("no empty spot in the test field")


def background(data: np.ndarray) -> np.ndarray:
    image = data.astype(np.float64)
    return image - sep.Background(image).back()


def aperture(image: np.ndarray, x: float, y: float, radius: float) -> float:
    flux, _, _ = sep.sum_circle(image, np.array([x]), np.array([y]), radius)
    return float(flux[0])


def frame_noise(truth, radius: float) -> float:
    """Standard deviation of an aperture sum in electrons, for a source of truth's sky."""
    return math.sqrt(math.pi * radius**2 * (truth.sky_electrons + truth.dark_electrons
                                            + truth.read_noise**2))


# --- Transients ------------------------------------------------------------------------------


def test_a_transient_appears_at_its_position_with_its_flux():
    frame = light()
    ra, dec = empty_spot(frame, 40.0, -30.0)
    t0 = START - timedelta(seconds=55.0)  # mid-exposure is t0 + 60 s: the reference time
    burst = Transient(ra=ra, dec=dec, magnitude=15.0, t0=t0, decay=1.2)
    frame = replace(frame, transients=(burst,))
    hdus = render_frame(frame)
    truth = read_truth(hdus)
    assert truth is not None and len(truth.transients) == 1
    x, y = truth.transients.x[0], truth.transients.y[0]
    assert y == pytest.approx(127.5 - 30.0, abs=0.01)  # 30 pixels south of the centre
    assert (x - 127.5 - 40.0) % 3.0 == pytest.approx(0.0, abs=0.01)  # west, where empty
    image = background(hdus[0].data) * truth.gain
    wx, wy, _ = sep.winpos(image, np.array([x]), np.array([y]), truth.fwhm / 2.3548)
    assert math.dist((wx[0], wy[0]), (x, y)) < 0.05
    # The electrons the zero point, extinction, exposure and vignetting give magnitude 15.
    b = band("r")
    expected = 10.0 * 10 ** (-0.4 * (15.0 + b.extinction * airmass(60.0) - b.zero_point))
    radius = 8.0  # 4.7 sigma: all the light
    u, v = x - 127.5, y - 127.5
    expected *= 1.0 - 0.08 * (u * u + v * v) / (128.0**2 * 2)
    assert truth.transients.electrons[0] == pytest.approx(expected, rel=1e-9)
    assert truth.transients.magnitude[0] == pytest.approx(15.0, abs=1e-9)
    noise = math.sqrt(expected + frame_noise(truth, radius) ** 2)
    assert aperture(image, x, y, radius) == pytest.approx(expected, abs=3 * noise)


def test_a_transient_fades_as_its_power_law():
    frame = light()
    ra, dec = empty_spot(frame, -50.0, 20.0)
    t0 = START
    burst = Transient(ra=ra, dec=dec, magnitude=13.5, t0=t0, decay=1.0)
    fluxes = []
    for middle in (60.0, 600.0):  # seconds after t0, at mid-exposure
        shot = replace(frame, time=t0 + timedelta(seconds=middle - 5.0), transients=(burst,),
                       seed=int(middle))
        hdus = render_frame(shot)
        truth = read_truth(hdus)
        assert truth.transients.magnitude[0] == pytest.approx(
            13.5 + 2.5 * math.log10(middle / 60.0), abs=1e-9)
        image = background(hdus[0].data) * truth.gain
        fluxes.append(aperture(image, truth.transients.x[0], truth.transients.y[0], 8.0))
    # Ten times later, ten times fainter: 2.5 magnitudes (noise ~0.3 % and ~3 %).
    assert -2.5 * math.log10(fluxes[1] / fluxes[0]) == pytest.approx(2.5, abs=0.1)


def test_no_light_before_t0():
    frame = light()
    ra, dec = empty_spot(frame, 10.0, 10.0)
    later = Transient(ra=ra, dec=dec, magnitude=10.0, t0=START + timedelta(seconds=10.5))
    lit = replace(frame, transients=(later,))
    plain = render_frame(frame)[0].data
    assert np.array_equal(render_frame(lit)[0].data, plain)  # not a single electron
    truth = frame_truth(lit)
    assert len(truth.transients) == 1 and truth.transients.electrons[0] == 0.0
    assert math.isinf(truth.transients.magnitude[0])
    # Lit for the exposure's last half: half the light of a steady source at the magnitude
    # of the middle of that half.
    straddling = replace(later, t0=START + timedelta(seconds=5.0))
    half = frame_truth(replace(frame, transients=(straddling,))).transients
    middle = straddling.magnitude_at(START + timedelta(seconds=7.5))
    assert half.magnitude[0] == pytest.approx(middle + 2.5 * math.log10(2.0))


def test_a_transient_away_from_the_field_is_not_drawn_nor_listed():
    frame = light()
    antipode = Transient(ra=(POINTING[0] + 180.0) % 360.0, dec=-POINTING[1], magnitude=5.0,
                         t0=START - timedelta(hours=1))
    shown = replace(frame, transients=(antipode,))
    assert np.array_equal(render_frame(shown)[0].data, render_frame(frame)[0].data)
    assert len(frame_truth(shown).transients) == 0


@pytest.mark.parametrize(("changes", "message"), [
    ({"dec": 91.0}, "dec"), ({"ra": 360.0}, "ra"), ({"magnitude": math.nan}, "finite"),
    ({"t0": datetime(2026, 1, 1)}, "timezone"), ({"reference": 0.0}, "reference"),
])
def test_impossible_transients_are_refused(changes: dict, message: str):
    fields = {"ra": 1.0, "dec": 2.0, "magnitude": 15.0, "t0": START} | changes
    with pytest.raises(ValueError, match=message):
        Transient(**fields)


# --- Truth against the pixels ----------------------------------------------------------------


@pytest.mark.parametrize(("binning", "region"), [
    (1, None), (2, None), (1, Region(300, 200, 600, 500)), (2, Region(101, 57, 700, 801)),
])
def test_truth_positions_are_where_the_stars_are(binning: int, region: Region | None):
    frame = light(FIELD, exposure=120.0, binning=binning, region=region)
    hdus = render_frame(frame)
    truth = read_truth(hdus)
    image = background(hdus[0].data)
    ny, nx = image.shape
    stars = truth.stars
    sigma = truth.fwhm / 2.3548
    # Bright, unsaturated, isolated (no star within 6 FWHM brighter than 4 mag fainter),
    # away from the edges.
    peak = stars.electrons / (2 * math.pi * sigma**2) / truth.gain
    chosen = []
    for i in range(len(stars)):
        if not (stars.electrons[i] > 5e4 and peak[i] < 40_000):
            continue
        if not (10 < stars.x[i] < nx - 11 and 10 < stars.y[i] < ny - 11):
            continue
        near = stars_near(stars.ra[i], stars.dec[i], 6 * truth.seeing / 3600.0)
        if np.sum(near.magnitude < stars.magnitude[i] + 4.0) == 1:
            chosen.append(i)
    assert len(chosen) >= 3
    x, y, _ = sep.winpos(image, stars.x[chosen], stars.y[chosen], sigma)
    offsets = np.hypot(x - stars.x[chosen], y - stars.y[chosen])
    assert offsets.max() < 0.05, offsets


def test_truth_is_stored_and_read_back(tmp_path: Path):
    frame = light(FIELD, binning=2, region=Region(100, 100, 600, 500), transients=(
        Transient(ra=POINTING[0], dec=POINTING[1] - 0.01, magnitude=17.0,
                  t0=START - timedelta(minutes=3), decay=0.8),))
    path = tmp_path / "frame.fits"
    render_frame(frame).writeto(path)
    truth = read_truth(path)
    direct = frame_truth(frame)
    assert len(truth.stars) == len(direct.stars) > 10 and len(truth.transients) == 1
    for part in ("stars", "transients"):
        for column in ("ra", "dec", "x", "y", "magnitude", "electrons"):
            assert np.array_equal(getattr(getattr(truth, part), column),
                                  getattr(getattr(direct, part), column))
    scalars = [f for f in truth.__dataclass_fields__ if f not in ("stars", "transients")]
    assert {f: getattr(truth, f) for f in scalars} == {f: getattr(direct, f) for f in scalars}
    assert truth.fwhm == pytest.approx(1.5 / 0.76)
    # The image stays the primary HDU: the pipeline reads it as before.
    loaded = load_frame(path)
    assert loaded.data.shape == (250, 300) and loaded.gain == 1.5
    assert loaded.read_noise == 8.0 and loaded.binning == 2


def test_calibration_frames_carry_no_truth(tmp_path: Path):
    bias = FrameRequest(frame_type=FrameType.BIAS, exposure=0.0, detector=SMALL, time=START,
                        site=SITE)
    hdus = render_frame(bias)
    assert len(hdus) == 1 and read_truth(hdus) is None
    with pytest.raises(ValueError, match="no sky"):
        frame_truth(bias)


def test_the_zero_point_and_the_sky_of_the_truth():
    frame = light(exposure=30.0, binning=2)
    truth = frame_truth(frame)
    b = band("r")
    assert truth.zero_point == pytest.approx(b.zero_point - b.extinction * airmass(60.0))
    # A star of magnitude zero_point gives 1 e-/s on the optical axis.
    assert truth.zero_point_adu == pytest.approx(truth.zero_point + 2.5 * math.log10(30 / 1.5))
    # The measured sky (ADU above bias, times the gain) is the truth's sky plus dark.
    data = render_frame(frame)[0].data.astype(float)
    ny, nx = data.shape
    centre = data[ny // 2 - 20:ny // 2 + 20, nx // 2 - 20:nx // 2 + 20]
    measured = (np.median(centre) - 1000.0) * 1.5
    assert measured == pytest.approx(truth.sky_electrons + truth.dark_electrons, rel=0.03)
    # The moonless sky at 60 degrees: the band's dark sky, a little brighter with airmass.
    assert b.dark_sky - 0.25 < truth.sky_brightness < b.dark_sky


def test_the_limiting_magnitude_is_a_signal_to_noise_ratio_of_5():
    """A source at the limit, measured in the limit's aperture on many noise draws:
    mean over scatter is 5 (the background being known, as the limit assumes)."""
    frame = light(exposure=30.0, region=Region(100, 100, 48, 48))
    ra, dec = empty_spot(light(), -4.0, -4.0)
    truth = frame_truth(frame)
    source = Transient(ra=ra, dec=dec, magnitude=truth.limiting_magnitude,
                       t0=START - timedelta(days=1), decay=0.0)
    frame = replace(frame, transients=(source,))
    truth = frame_truth(frame)
    x, y = truth.transients.x[0], truth.transients.y[0]
    radius = LIMIT_APERTURE * truth.fwhm
    level = 1000.0 + (truth.sky_electrons + truth.dark_electrons) / truth.gain
    # The renderer's own read-out of the same electrons, many times (a render each would
    # recompute the field every time).
    electrons = expected_electrons(frame, DARK_NIGHT)
    assert render_frame(frame)[0].data == pytest.approx(
        _read_out(electrons, frame.detector, np.random.default_rng(frame.seed)))
    sums = []
    for seed in range(400):
        data = _read_out(electrons, frame.detector, np.random.default_rng(seed))
        image = (data - level) * truth.gain
        # Whole pixels, as the limit counts the noise of its aperture's pixels: sep's exact
        # overlap weighs the edge pixels' noise by their fraction squared (SNR 5.36).
        flux, _, _ = sep.sum_circle(image, np.array([x]), np.array([y]), radius, subpix=1)
        sums.append(float(flux[0]))
    snr = np.mean(sums) / np.std(sums)
    assert snr == pytest.approx(5.0, rel=0.1)


# --- The header gives the noise the pixels have ----------------------------------------------


def test_gain_and_read_noise_in_the_header_are_those_of_the_pixels():
    bias = FrameRequest(frame_type=FrameType.BIAS, exposure=0.0, detector=SMALL, time=START,
                        site=SITE)
    first, second = render_frame(replace(bias, seed=1))[0], render_frame(replace(bias, seed=2))[0]
    header = first.header
    difference = first.data.astype(float) - second.data.astype(float)
    assert difference.std() / math.sqrt(2) == pytest.approx(
        header["RDNOISE"] / header["GAIN"], rel=0.03)
    assert header["BIASLEV"] == pytest.approx(first.data.mean(), abs=0.2)
    # Photon transfer: two flats give the gain from their variance.
    flat = replace(bias, frame_type=FrameType.FLAT, exposure=2.0)
    one, two = (render_frame(replace(flat, seed=s))[0].data.astype(float) for s in (3, 4))
    signal = (one + two) / 2 - header["BIASLEV"]
    variance = (one - two).var() / 2 - (header["RDNOISE"] / header["GAIN"]) ** 2
    assert signal.mean() / variance == pytest.approx(header["GAIN"], rel=0.03)


def test_the_dark_current_in_the_header_is_that_of_the_pixels():
    dark = FrameRequest(frame_type=FrameType.DARK, exposure=600.0, detector=SMALL, time=START,
                        site=SITE, ccd_temperature=0.0)
    hdu = render_frame(dark)[0]
    rate = (hdu.data.mean() - hdu.header["BIASLEV"]) * hdu.header["GAIN"] / 600.0
    assert hdu.header["CCD-TEMP"] == 0.0
    assert rate == pytest.approx(hdu.header["DARKCUR"], rel=0.02)


def test_the_seeing_in_the_header_is_that_of_the_stars():
    frame = light(FIELD, exposure=60.0, seeing=2.2)
    hdus = render_frame(frame)
    header, truth = hdus[0].header, read_truth(hdus)
    assert header["SEEING"] == 2.2 == truth.seeing
    image = background(hdus[0].data)
    bright = (truth.stars.electrons > 2e5) & (truth.stars.electrons < 1.5e6)
    bright &= (truth.stars.x > 15) & (truth.stars.x < 1008)
    bright &= (truth.stars.y > 15) & (truth.stars.y < 1008)
    widths = []
    for x, y in zip(truth.stars.x[bright], truth.stars.y[bright], strict=True):
        cx, cy = round(x), round(y)
        box = image[cy - 10:cy + 11, cx - 10:cx + 11]
        rows, cols = np.mgrid[-10:11, -10:11]
        variance = ((cols - (x - cx)) ** 2 + (rows - (y - cy)) ** 2) * box
        variance = variance.sum() / box.sum() / 2  # per axis
        widths.append(math.sqrt(variance - 1 / 12) * 2.3548 * header["PIXSCALE"])
    assert len(widths) >= 3
    assert np.median(widths) == pytest.approx(header["SEEING"], rel=0.05)
