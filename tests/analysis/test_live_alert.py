"""An alert night as a user runs one: `pyros start` on a simulated clock with every agent,
a burst at a visible position sent through the local broker; the simulated sky shows its
afterglow, the majordome observes it, and the analysis agent finds it in the frames,
first in the queue, within seconds of each readout."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from astropy import units as u
from astropy.time import Time

from pyros import clock
from pyros.alerts.models import AlertLog, Step
from pyros.alerts.synthetic import fresh_packet
from pyros.analysis.candidates import separation
from pyros.analysis.models import AnalysisStatus, Candidate, FrameAnalysis
from pyros.simulators.transients import registered_transients
from tests.agents.conftest import agent_env, real_clock  # noqa: F401
from tests.agents.test_live_agents import pyros
from tests.waiting import wait_until

SPEED = 10.0
NIGHT = "2026-11-22T03:00:00"
AGENTS = "sim,monitoring,devices,scheduler,alerts,majordome,analysis"


@pytest.fixture
def users_config(agent_env, tmp_path: Path) -> Path:  # noqa: F811
    from pyros.simulators.thread import example_on_free_ports

    path = tmp_path / "unit.toml"
    # Cameras of 1024² (a quarter of the example's pixels to render and analyse): the
    # suite runs this on three databases at once, beside everything else.
    text = example_on_free_ports().replace("safe_delay = 900.0", "safe_delay = 60.0")
    assert text.count("width = 2048") == 2 and text.count("height = 2048") == 2
    path.write_text(text.replace("width = 2048", "width = 1024")
                    .replace("height = 2048", "height = 1024"))
    agent_env["PYROS_CONFIG"] = str(path)
    return path


def burst_overhead(env: dict[str, str], path: Path) -> tuple[float, float]:
    """A Swift BAT packet of a burst that went off now (the run's clock) near the
    zenith; returns its position."""
    run_clock = json.loads((Path(env["PYROS_HOME"]) / "run" / "clock.json").read_text())
    now = clock.install_from_environment(run_clock).now()
    sidereal = Time(now).sidereal_time("apparent", longitude=-115.4637 * u.deg).deg
    ra, dec = float(sidereal) % 360.0, 28.0
    path.write_bytes(fresh_packet(910001, now, ra=ra, dec=dec, error_radius=0.03))
    return ra, dec


@pytest.mark.whole_pyros
@pytest.mark.django_db(transaction=True)
def test_the_afterglow_of_an_alert_is_found_in_its_frames(
        agent_env, users_config, initial_data, tmp_path):  # noqa: F811
    assert pyros(agent_env, "observatory", "mode", "scheduler").returncode == 0
    started = pyros(agent_env, "start", AGENTS, "--sim-time", NIGHT, "--speed", str(SPEED))
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        ra, dec = burst_overhead(agent_env, tmp_path / "grb.xml")
        sent = pyros(agent_env, "alert", "send", str(tmp_path / "grb.xml"))
        assert sent.returncode == 0, sent.stderr
        wait_until(lambda: Candidate.objects.filter(event__isnull=False).exists(),
                   "the afterglow found in a frame of the alert", timeout=300)
        candidate = Candidate.objects.filter(event__isnull=False).first()
        offset = separation(np.array([candidate.ra]), np.array([candidate.dec]), ra, dec)
        assert float(offset[0]) * 3600 < 1.0
        # NEW, or BRIGHTER when the burst fell on a faint catalogued star; as bright as
        # the afterglow the simulator put in that exposure (it fades: a loaded machine
        # takes the frame later, so the expected magnitude comes from the frame's time).
        assert candidate.kind in ("NEW", "BRIGHTER") and candidate.snr > 5
        (afterglow,) = registered_transients()
        image = candidate.analysis.image
        expected = afterglow.exposure_magnitude(image.date_obs, image.exposure)
        assert abs(candidate.mag - expected) < 3 * candidate.mag_err + 0.1, (
            f"measured {candidate.mag:.2f}±{candidate.mag_err:.2f}, injected {expected:.2f}")
        assert Path(candidate.new_cutout).exists() and Path(candidate.reference_cutout).exists()
        analysis = candidate.analysis
        assert analysis.priority == 1 and analysis.status == AnalysisStatus.DONE
        assert analysis.solved and analysis.fwhm == pytest.approx(1.5, rel=0.1)
        assert 0 < analysis.latency < 120  # wall seconds, queueing included, on a busy machine
        logged = AlertLog.objects.filter(step=Step.CANDIDATES).first()
        assert logged is not None and "after its readout" in logged.message
        assert FrameAnalysis.objects.filter(status=AnalysisStatus.FAILED).count() == 0
    finally:
        pyros(agent_env, "stop")
