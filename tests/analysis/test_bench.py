"""`pyros bench analysis` measures, on a small run, what it says it measures."""

from __future__ import annotations

import json

from click.testing import CliRunner

from pyros.cli.main import cli


def test_a_small_run_reports_every_figure_against_the_truth():
    result = CliRunner().invoke(cli, ["bench", "analysis", "--json", "--frames", "1",
                                      "--alerts", "1", "--calibration-frames", "3"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["frames"] == 1 and report["solved"] == 1
    assert report["calibration_frames"] == 3 and report["master_bias_seconds"] > 0
    assert set(report["stage_seconds_p50"]) >= {"bias", "sources", "astrometry", "photometry"}
    # The simulated frame is solved and measured as the simulator made it.
    assert report["centre_error_arcsec_max"] < 1.0
    assert report["fwhm_error_max"] < 0.05 and report["zero_point_error_max"] < 0.03
    assert report["completeness_snr10"] > 0.95
    assert report["alert_frames"] == 1 and report["false_candidates_per_frame"] <= 1
    assert report["master_quality"]["bias"]["read_noise"] > 0
