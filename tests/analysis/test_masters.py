"""Masters from the simulated camera's calibration frames, measured against what the
simulator put in them: bias level 1000 ADU, read noise 8 e⁻ at a gain of 1.5 e⁻/ADU,
dark current doubling every 6.3 °C from 0.02 e⁻/s at -20 °C, 8 % of vignetting."""

from __future__ import annotations

import numpy as np
import pytest

from pyros.analysis.frames import FrameKind, load_frame
from pyros.analysis.masters import (
    MasterError,
    clipped_mean,
    make_bias,
    make_dark,
    make_flat,
    read_master,
)
from pyros.simulators.sky import Detector, FrameType
from tests.analysis.conftest import SMALL, request

BIG = Detector(width=512, height=512, pixel_scale=0.38)


def frames(write, kind: FrameType, count: int, name: str = "", **changes):
    name = name or kind.value.lower()
    return [load_frame(write(request(kind, seed=100 + i, minutes=i, **changes),
                             f"{name}-{i}.fits")) for i in range(count)]


@pytest.fixture
def bias_master(write):
    return make_bias(frames(write, FrameType.BIAS, 5, detector=BIG, exposure=0.0), minimum=5)


def test_a_master_bias_measures_the_level_and_the_read_noise(bias_master):
    assert bias_master.kind is FrameKind.BIAS and bias_master.data.shape == (512, 512)
    assert bias_master.quality["level"] == pytest.approx(1000.0, abs=1.0)
    assert bias_master.quality["read_noise"] == pytest.approx(8.0, rel=0.03)
    # Five frames averaged: the master's noise is the frames' over the square root of 5.
    noise = np.std(bias_master.data) * 1.5
    assert noise == pytest.approx(8.0 / np.sqrt(5), rel=0.05)


def test_a_master_dark_measures_the_dark_current_at_its_temperature(write, bias_master):
    # At 0 °C the current is 0.02 × 2^(20/6.3) = 0.180 e⁻/s: 54 e⁻ in 300 s.
    darks = frames(write, FrameType.DARK, 5, detector=BIG, exposure=300.0, ccd_temperature=0.0)
    master = make_dark(darks, bias_master, minimum=5)
    assert master.exposure == 300.0 and master.ccd_temperature == 0.0
    assert master.quality["dark_current"] == pytest.approx(0.02 * 2 ** (20 / 6.3), rel=0.03)
    assert master.used == {"L1IDBIAS": bias_master.name}


def test_a_master_flat_is_normalised_and_sees_the_vignetting(write, bias_master):
    flats = frames(write, FrameType.FLAT, 5, detector=BIG, exposure=2.0)
    master = make_flat(flats, bias_master, None, minimum=5)
    assert np.median(master.data[128:384, 128:384]) == pytest.approx(1.0, abs=1e-3)
    assert master.quality["level"] == pytest.approx(29_000, rel=0.02)  # 30000 with the bias
    # 8 % lost in the corners; the corner boxes' mean is a little less.
    assert 0.06 < master.quality["uniformity"] < 0.09
    assert master.data[0, 0] < master.data[256, 256]


def test_outliers_are_clipped_from_the_combination():
    rng = np.random.default_rng(5)
    stack = (100.0 + rng.normal(0.0, 1.0, (7, 64, 64))).astype(np.float32)
    stack[3, 10, 10] = 60_000.0  # a cosmic ray in one frame
    combined = clipped_mean(stack)
    assert combined[10, 10] == pytest.approx(np.mean(np.delete(stack[:, 10, 10], 3)), rel=1e-5)
    # Elsewhere almost every value is kept: the mean's noise, 1/sqrt(7).
    assert np.std(combined) == pytest.approx(1 / np.sqrt(7), rel=0.05)


def test_sets_no_master_can_be_made_of_are_refused(write, bias_master):
    few = frames(write, FrameType.BIAS, 2, "few", detector=SMALL, exposure=0.0)
    with pytest.raises(MasterError, match="2 bias frames: a master needs 5"):
        make_bias(few, minimum=5)
    with pytest.raises(MasterError, match="not BIAS frames"):
        make_bias(frames(write, FrameType.DARK, 3, "d", detector=SMALL, exposure=1.0), minimum=3)
    darks = frames(write, FrameType.DARK, 3, "dark1s", detector=SMALL, exposure=1.0)
    with pytest.raises(MasterError, match=r"is \(256, 256\), the master"):
        make_dark(darks, bias_master, minimum=3)
    mixed = darks[:2] + frames(write, FrameType.DARK, 1, "dark2s", detector=SMALL, exposure=2.0)
    with pytest.raises(MasterError, match="several or no exposure times"):
        make_dark(mixed, make_bias(few + few[:1], minimum=3), minimum=3)


def test_a_master_written_says_where_it_came_from(write, bias_master, tmp_path):
    path = bias_master.write(tmp_path / "cal" / "master-bias.fits")
    again = read_master(path)
    assert again.kind is FrameKind.BIAS and again.name == "master-bias.fits"
    assert again.frames == [f"bias-{i}.fits" for i in range(5)]
    assert again.quality["read_noise"] == pytest.approx(bias_master.quality["read_noise"])
    np.testing.assert_array_equal(again.data, bias_master.data)
    with pytest.raises(MasterError, match="not a PyROS master"):
        read_master(write(request(FrameType.BIAS, detector=SMALL, exposure=0.0), "raw.fits"))
