"""The autofocus on the simulator: stars blur with the distance from best focus, which
drifts with the tube's temperature; the sweep finds it within the depth of focus."""

from __future__ import annotations

from pyros.config.pointing import SimulatedFocus, SimulatedPointingError
from pyros.focus.sweep import autofocus
from tests.pointing.conftest import unit_with


def test_autofocus_finds_the_temperature_shifted_focus_in_at_most_ten_frames(sim_unit,
                                                                             tmp_path):
    optics = SimulatedFocus(best_position=25_000, reference_temperature=10.0,
                            steps_per_degree=-40.0, blur_per_step=0.01, temperature=14.0)
    unit = unit_with(SimulatedPointingError(), simulated=optics, exposure=5.0, window=512)
    devices = sim_unit(unit)
    true_best = 25_000 - 40.0 * (14.0 - 10.0)  # 24 840: off the sweep's centre
    outcome = autofocus(unit, devices, tmp_path)
    assert outcome.succeeded, outcome.message
    assert outcome.exposures <= 10
    assert abs(outcome.position - true_best) <= unit.focus.depth_of_focus, outcome.points
    assert outcome.temperature == 14.0
    assert devices.focusers["focuser"].status().position == outcome.position
    assert outcome.confirmed_fwhm < 1.8  # the seeing's 1.5″, hardly blurred
