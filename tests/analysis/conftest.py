"""Simulated frames for the pipeline's tests: the simulated camera's renderer with
explicit sky conditions (no ephemeris to compute), small detectors unless a test needs a
field of stars, written to FITS as the camera writes them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pyros.config.analysis import AnalysisConfig
from pyros.config.schema import Site
from pyros.simulators.sky import Detector, FrameRequest, FrameType, SkyConditions, render_frame

SITE = Site(name="San Pedro Martir", latitude=31.0439, longitude=-115.4637, elevation=2790.0)
START = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
SCALE = 0.38  # arcsec per pixel, as the example unit's cameras
DARK_NIGHT = SkyConditions(sun_altitude=-40.0, moon_altitude=-30.0, moon_illumination=0.0,
                           moon_separation=120.0, target_altitude=60.0)
SMALL = Detector(width=256, height=256, pixel_scale=SCALE)
FIELD = Detector(width=1024, height=1024, pixel_scale=SCALE)  # 6.5′: some sixty stars
POINTING = (40.0, 30.0)


def request(kind: FrameType = FrameType.LIGHT, *, detector: Detector = FIELD,
            exposure: float = 60.0, seed: int = 1, minutes: float = 0.0,
            **changes) -> FrameRequest:
    """A frame of the simulated camera; ``minutes`` after START, one seed per frame."""
    sky = kind in (FrameType.LIGHT,)
    frame = FrameRequest(frame_type=kind, exposure=exposure, detector=detector,
                         time=START + timedelta(minutes=minutes), site=SITE,
                         ra=POINTING[0] if sky else None, dec=POINTING[1] if sky else None,
                         filter_name="r", seeing=1.5, conditions=DARK_NIGHT if sky else None,
                         ccd_temperature=-20.0, telescope="COLIBRI-sim", instrument="VIS",
                         seed=seed)
    return replace(frame, **changes)


@pytest.fixture
def write(tmp_path: Path):
    """``write(request, name)``: the rendered frame as a FITS file in tmp_path."""

    def written(frame: FrameRequest, name: str) -> Path:
        path = tmp_path / name
        render_frame(frame).writeto(path)
        return path

    return written


@pytest.fixture
def settings() -> AnalysisConfig:
    return AnalysisConfig(min_calibration_frames=3)
