"""The V-curve fit and the refocus decision, on numbers alone."""

from __future__ import annotations

import numpy as np
import pytest

from pyros.config.pointing import FocusConfig
from pyros.focus.due import LastFocus, focus_due
from pyros.focus.vcurve import VCurveError, fit_vcurve


def test_the_vertex_of_a_noisy_hyperbola_is_found_within_its_uncertainty():
    rng = np.random.default_rng(5)
    positions = np.arange(24_400, 25_500, 150)
    true = np.hypot(1.5, 0.01 * (positions - 24_930))
    measured = true * (1 + rng.normal(0, 0.03, len(true)))
    curve = fit_vcurve(positions.tolist(), measured.tolist())
    assert abs(curve.best - 24_930) <= max(3 * curve.best_error, 30)
    assert 1.2 < curve.best_fwhm < 1.8
    assert abs(curve.slope - 0.01) < 0.002


def test_no_v_is_refused_with_a_reason():
    with pytest.raises(VCurveError, match="at least 4"):
        fit_vcurve([1, 2, 3], [2.0, 1.0, 2.0])
    with pytest.raises(VCurveError, match="does not rise"):
        fit_vcurve([0, 100, 200, 300, 400], [1.0, 2.0, 3.0, 2.0, 1.0])


def test_focus_is_due_at_the_start_of_the_night_and_when_the_temperature_moves():
    config = FocusConfig(temperature_change=1.0)
    assert focus_due(config, None, 10.0) == "start of the night"
    assert focus_due(config, LastFocus(tonight=False, temperature=10.0), 10.0)
    assert focus_due(config, LastFocus(tonight=True, temperature=10.0), 10.6) is None
    assert "moved -1.2 C" in focus_due(config, LastFocus(tonight=True, temperature=10.0), 8.8)
    assert focus_due(config, LastFocus(tonight=True, temperature=None), 8.8) is None
    assert focus_due(FocusConfig(at_dusk=False), None, 8.0) is None


def test_a_mismeasured_wide_frame_does_not_move_the_vertex():
    positions = [24_550, 24_700, 24_850, 25_000, 25_150, 25_300]
    measured = [3.22, 2.06, 1.50, 2.21, 3.47, 10.35]  # the last: a halo mis-measured
    curve = fit_vcurve(positions, measured)
    assert abs(curve.best - 24_840) <= 30
