"""A simulated light frame calibrated and measured, against what the simulator put in:
the seeing, the zero point of its band through the gain and the atmosphere, the sky.
The WCS here is the simulator's own (the solver is tested in test_astrometry)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from astropy.wcs import WCS

from pyros.analysis import calibration, measurement
from pyros.analysis.calibration import Masters
from pyros.analysis.catalogues import SimulatedSkyCatalogue
from pyros.analysis.context import Context
from pyros.analysis.frames import load_frame
from pyros.analysis.masters import make_bias, make_flat
from pyros.analysis.stages import run_stages
from pyros.simulators.sky import FrameType, airmass, band
from pyros.simulators.truth import read_truth
from tests.analysis.conftest import DARK_NIGHT, SCALE, request

GAIN = 1.5
CALIBRATE = [("header", calibration.check_header), ("saturation", calibration.mask_bad_pixels),
             ("bias", calibration.subtract_bias), ("dark", calibration.subtract_dark),
             ("flat", calibration.divide_flat),
             ("background", measurement.measure_background),
             ("sources", measurement.extract_sources)]
MEASURE = [("photometry", measurement.calibrate_photometry),
           ("quality", measurement.summarise_quality)]


def true_zero_point(filter_name: str = "r") -> float:
    """Magnitude giving 1 ADU/s: the band's (1 e⁻/s), the gain, the extinction."""
    b = band(filter_name)
    return b.zero_point - 2.5 * math.log10(GAIN) - b.extinction * airmass(
        DARK_NIGHT.target_altitude)


@pytest.fixture
def masters(write, settings):
    biases = [load_frame(write(request(FrameType.BIAS, exposure=0.0, seed=10 + i),
                               f"bias{i}.fits")) for i in range(3)]
    bias = make_bias(biases, minimum=3)
    bias.name = "master-bias.fits"
    flats = [load_frame(write(request(FrameType.FLAT, exposure=3.0, seed=20 + i),
                              f"flat{i}.fits")) for i in range(3)]
    flat = make_flat(flats, bias, None, minimum=3)
    flat.name = "master-flat-r.fits"
    return Masters(bias=bias, flat=flat)


def solved_with_the_simulators_wcs(frame):
    frame.wcs = WCS(frame.header)
    frame.sources["ra"], frame.sources["dec"] = frame.wcs.all_pix2world(
        frame.sources["x"], frame.sources["y"], 0)


@pytest.mark.parametrize("seeing", [1.2, 2.0, 3.0])
def test_a_calibrated_frame_measures_the_seeing_the_zero_point_and_the_sky(
        write, settings, masters, seeing):
    path = write(request(seeing=seeing, seed=3), "light.fits")
    frame = load_frame(path)
    context = Context(settings, masters=masters, catalogue=SimulatedSkyCatalogue())
    report = run_stages(frame, CALIBRATE, context)
    assert report.ok, report.reason
    solved_with_the_simulators_wcs(frame)
    assert run_stages(frame, MEASURE, context).ok

    assert frame.provenance == {"L1IDBIAS": "master-bias.fits", "L1IDFLAT": "master-flat-r.fits"}
    assert frame.flags == ["uncalibrated: no master dark"]
    assert frame.results["fwhm_arcsec"] == pytest.approx(seeing, rel=0.05)
    assert frame.results["ellipticity"] < 0.1
    assert frame.results["zero_point"] == pytest.approx(true_zero_point(), abs=0.03)
    assert frame.results["zero_point_stars"] >= 10
    # The sky: the band's dark sky, brighter with the airmass, seen through the ZP's
    # extinction (see the simulator's sky_background).
    x = airmass(DARK_NIGHT.target_altitude)
    sky = band("r").dark_sky - 2.5 * math.log10(x) - band("r").extinction
    assert frame.results["sky_brightness"] == pytest.approx(sky, abs=0.03)
    # The 5 sigma limit, by the same definition as the simulator's truth (which adds the
    # dark current and the photon noise of a sky the flat does not change).
    truth = read_truth(path)
    assert frame.results["limiting_magnitude"] == pytest.approx(truth.limiting_magnitude,
                                                                abs=0.1)
    stars = frame.sources[frame.sources["point"]]
    assert np.all(np.isfinite(stars["mag"])) and np.all(stars["mag_err"] > 0)


def test_an_uncalibrated_frame_is_measured_and_flagged(write, settings):
    frame = load_frame(write(request(seed=4), "raw.fits"))
    context = Context(settings, catalogue=SimulatedSkyCatalogue())
    assert run_stages(frame, CALIBRATE, context).ok
    solved_with_the_simulators_wcs(frame)
    assert run_stages(frame, MEASURE, context).ok
    assert frame.flags == ["uncalibrated: no master bias", "uncalibrated: no master dark",
                           "uncalibrated: no master flat"]
    assert frame.results["fwhm_arcsec"] == pytest.approx(1.5, rel=0.05)
    # Without the flat the corners lose up to 8 %: the zero point is a little off.
    assert frame.results["zero_point"] == pytest.approx(true_zero_point(), abs=0.08)
    assert "sky_brightness" not in frame.results  # the bias is still in the background


def test_without_a_catalogue_or_a_solution_there_is_no_zero_point(write, settings):
    frame = load_frame(write(request(seed=5), "raw.fits"))
    context = Context(settings)
    run_stages(frame, CALIBRATE + MEASURE, context)
    assert "zero_point" not in frame.results
    assert "no reference catalogue: no zero point" in frame.flags
    frame = load_frame(write(request(seed=5), "raw2.fits"))
    context = Context(settings, catalogue=SimulatedSkyCatalogue())
    run_stages(frame, CALIBRATE + MEASURE, context)
    assert "not solved: no zero point" in frame.flags
    assert frame.results["fwhm_arcsec"] == pytest.approx(1.5, rel=0.05)  # the header's scale


def test_a_saturated_frame_is_rejected_with_the_reason(write, settings):
    frame = load_frame(write(request(exposure=60.0, seed=6), "light.fits"))
    frame.data[:] = 65535.0
    report = run_stages(frame, CALIBRATE, Context(settings))
    assert not report.ok and report.stopped_at == "saturation"
    assert report.reason == "saturation: 100% of the pixels saturated"
    assert set(frame.timings) == {"header", "saturation"}


def test_the_scale_of_the_fwhm(write, settings):
    frame = load_frame(write(request(seed=7, binning=2), "bin2.fits"))
    assert frame.pixel_scale == pytest.approx(2 * SCALE)
    run_stages(frame, CALIBRATE + MEASURE, Context(settings))
    assert frame.results["fwhm_arcsec"] == pytest.approx(1.5, rel=0.05)
