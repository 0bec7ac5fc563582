"""The fit on numbers alone: injected terms come back within their uncertainties."""

from __future__ import annotations

import numpy as np
import pytest

from pyros.pointing.fit import FitError, Observation, fit
from pyros.pointing.grid import sky_grid
from pyros.pointing.model import PointingModel
from pyros.pointing.terms import MOUNT_TERMS, offsets

LATITUDE = 31.04
TRUE = {"IH": 45.0, "ID": -30.0, "CH": 25.0, "NP": -12.0, "MA": 40.0, "ME": -55.0,
        "TF": 20.0, "FO": 15.0}


def _equatorial(alt: float, az: float) -> tuple[float, float]:
    """Hour angle and declination (degrees) of an altitude and azimuth at LATITUDE."""
    a, z, p = np.radians(alt), np.radians(az), np.radians(LATITUDE)
    dec = np.arcsin(np.sin(a) * np.sin(p) + np.cos(a) * np.cos(p) * np.cos(z))
    ha = np.arctan2(-np.sin(z) * np.cos(a),
                    np.sin(a) * np.cos(p) - np.cos(a) * np.sin(p) * np.cos(z))
    return float(np.degrees(ha)), float(np.degrees(dec))


def observations(truth: dict[str, float], count: int, noise: float,
                 seed: int = 3) -> list[Observation]:
    """Fields over the sky, each sent to where the true model says, found with noise."""
    rng = np.random.default_rng(seed)
    model = PointingModel(truth, LATITUDE)
    found = []
    for alt, az in sky_grid(count, 20.0):
        ha, dec = _equatorial(alt, az)
        lst = 100.0
        sky_ra = (lst - ha) % 360.0
        ra, dec_sent = model.mount_target(sky_ra, dec, lst)
        east, north = rng.normal(0.0, noise, 2) / 3600.0
        found.append(Observation(ra=ra, dec=dec_sent,
                                 solved_ra=sky_ra + east / np.cos(np.radians(dec)),
                                 solved_dec=dec + north, lst=lst))
    return found


def test_every_injected_term_is_recovered_within_3_sigma_and_5_arcsec():
    result = fit(observations(TRUE, 40, noise=2.0), MOUNT_TERMS["fork"], LATITUDE)
    for term, value in TRUE.items():
        error = abs(result.coefficients[term] - value)
        assert error <= 3 * result.sigmas[term], (term, result.coefficients[term], value)
        assert error <= 5.0, term
    assert result.rms_before >= 60.0
    assert result.rms_after <= result.rms_before / 10
    assert 1.0 < result.rms_after < 4.0  # the noise's size: 2″ in each axis


def test_german_terms_recover_declination_axis_flexure():
    truth = {"IH": -20.0, "ID": 10.0, "CH": 30.0, "NP": 8.0, "MA": -25.0, "ME": 35.0,
             "TF": 12.0, "DAF": 18.0}
    result = fit(observations(truth, 40, noise=1.0), MOUNT_TERMS["german"], LATITUDE)
    for term, value in truth.items():
        assert abs(result.coefficients[term] - value) <= 3 * result.sigmas[term], term


def test_model_inverse_round_trips_to_a_milliarcsecond():
    model = PointingModel(TRUE, LATITUDE)
    ra, dec = model.mount_target(120.0, 40.0, 150.0)
    sky = model.sky_position(ra, dec, 150.0)
    assert abs(sky[0] - 120.0) * 3600 < 1e-3 and abs(sky[1] - 40.0) * 3600 < 1e-3
    dh, dd = offsets(TRUE, 30.0, 40.0, LATITUDE)
    assert abs((120.0 - ra) * 3600 - dh) < 1e-6 and abs((dec - 40.0) * 3600 - dd) < 1e-6


def test_too_few_fields_or_unknown_terms_are_refused_with_a_reason():
    with pytest.raises(FitError, match="more than 8"):
        fit(observations(TRUE, 3, noise=1.0), MOUNT_TERMS["fork"], LATITUDE)
    with pytest.raises(ValueError, match="unknown pointing terms XX"):
        fit(observations(TRUE, 10, noise=1.0), ["IH", "XX"], LATITUDE)
    one_place = [observations(TRUE, 1, noise=1.0)[0]] * 10
    with pytest.raises(FitError, match="cannot tell"):
        fit(one_place, MOUNT_TERMS["fork"], LATITUDE)
