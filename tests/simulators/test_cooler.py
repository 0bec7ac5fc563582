"""The simulated CCD cooler: rate limited, settling on its set-point, as deep as its
power allows, its power reported; and the dark current of the frames it takes follows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from astropy.io import fits

from pyros import paths
from pyros.clock import SimulatedClock
from pyros.config.loader import parse_config
from pyros.simulators.frames import write_frame
from pyros.simulators.models import (
    COOLER_MAX_DELTA,
    COOLING_RATE,
    COOLING_TIME_CONSTANT,
    CameraModel,
)

T0 = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)


@pytest.fixture
def camera() -> CameraModel:
    unit = parse_config(paths.EXAMPLE_CONFIG.read_text())
    clock = SimulatedClock(start=T0, speed=0.0)
    return CameraModel(unit.channels[0], clock)


def at(camera: CameraModel, seconds: float) -> CameraModel:
    camera.clock.set(T0 + timedelta(seconds=seconds))
    return camera


def test_it_cools_at_its_rate_then_settles_on_the_set_point(camera):
    assert camera.temperature() == camera.ambient == 15.0
    assert camera.cooler_power() == 0.0
    camera.set_cooler(-20.0)
    assert at(camera, 60).temperature() == pytest.approx(15.0 - 5.0)  # 5 K a minute
    assert camera.cooler_power() == 100.0
    ramp = (35.0 - COOLING_RATE * COOLING_TIME_CONSTANT) / COOLING_RATE  # 360 s
    assert at(camera, ramp).temperature() == pytest.approx(-15.0)
    # Then exponential, its slope joining the ramp's: no jump, no overshoot.
    before = at(camera, ramp - 1).temperature()
    after = at(camera, ramp + 1).temperature()
    assert before - after == pytest.approx(2 * COOLING_RATE, rel=0.02)
    temperatures = [at(camera, ramp + t).temperature() for t in range(0, 600, 10)]
    assert all(a > b > -20.0 for a, b in pairwise(temperatures))
    assert at(camera, ramp + 5 * COOLING_TIME_CONSTANT).temperature() == \
        pytest.approx(-20.0, abs=0.05)
    assert camera.cooler_power() == pytest.approx(35.0 / COOLER_MAX_DELTA * 100, abs=0.5)


def test_switched_off_it_warms_up_at_the_same_rate(camera):
    camera.set_cooler(-20.0)
    at(camera, 3600).set_cooler(None)
    assert camera.cooler_power() == 0.0
    assert at(camera, 3660).temperature() == pytest.approx(-20.0 + 5.0, abs=0.05)
    assert at(camera, 3600 + 3600).temperature() == pytest.approx(15.0, abs=0.05)


def test_a_set_point_too_deep_for_the_cooler_is_held_at_full_power(camera):
    camera.set_cooler(-60.0)  # 75 K below the ambient: it gives 50
    assert at(camera, 7200).temperature() == pytest.approx(15.0 - COOLER_MAX_DELTA, abs=0.05)
    assert camera.cooler_power() == 100.0


def test_a_dark_taken_warm_has_more_dark_current_than_one_taken_cold(camera, tmp_path):
    unit = parse_config(paths.EXAMPLE_CONFIG.read_text())
    unit = unit.model_copy(update={"channels": [c.model_copy(update={"width": 128, "height": 128})
                                                for c in unit.channels]})
    camera.channel = unit.channels[0]
    means = {}
    for name, seconds in (("warm", 0.0), ("cold", 3600.0)):
        if name == "cold":
            camera.set_cooler(-20.0)
        at(camera, 1000.0 + seconds)
        path = tmp_path / f"{name}.fits"
        write_frame(unit, camera, {"ra": 0.0, "dec": 0.0},
                    {"seconds": 300.0, "path": str(path), "frame_type": "DARK"})
        with fits.open(path) as hdus:
            means[name] = (float(hdus[0].data.mean()), hdus[0].header["CCD-TEMP"])
    assert means["warm"][1] == pytest.approx(15.0) and means["cold"][1] == pytest.approx(-20.0,
                                                                                        abs=0.1)
    assert means["warm"][0] > means["cold"][0] + 100  # ADU of thermal electrons
