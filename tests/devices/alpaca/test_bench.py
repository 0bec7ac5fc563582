"""``pyros bench alpaca`` measures every operation each way in one run (figures, never a
pass/fail on time)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from pyros.cli.main import cli


def test_the_alpaca_benchmark_reports_each_operation_each_way():
    result = CliRunner().invoke(cli, ["bench", "alpaca", "--json", "--repeats", "10",
                                      "--sensor", "64"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.splitlines()[-1])
    ways = {(t["operation"], t["way"]) for t in report["timings"]}
    assert ("mount status (ICRS, alt/az)", "pyros") in ways
    assert ("image download (ImageBytes)", "httpx") in ways
    assert ("exposure 1 ms, to a FITS file", "pyros") in ways
    assert all(t["p50_ms"] > 0 and t["repeats"] >= 5 for t in report["timings"])
    assert all(ratio > 0 for ratios in report["ratios"].values() for ratio in ratios.values())
    assert "pyros/httpx" in report["ratios"]["focuser status"]
