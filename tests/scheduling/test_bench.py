"""``pyros bench scheduler`` on a tiny night: the report has the documented shape, and
every plan of ours passes the independent checks (a benchmark of invalid plans would
measure nothing)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from pyros.cli.bench import bench
from pyros.scheduling.astroplan_reference import astroplan_missing
from pyros.scheduling.bench import run_scheduler_bench

ENGINE_RUN_KEYS = {"size", "seed", "engine", "elapsed_s", "objective", "bound",
                   "share_of_bound", "gap", "best_bound", "share_of_best_bound", "planned",
                   "proven_optimal", "violations", "violation_examples"}


@pytest.fixture(scope="module")
def report() -> dict:
    result = run_scheduler_bench([20], seeds=1, time_limit=0.5, astroplan_max_size=20,
                                 astroplan_resolution=300.0, insertion_size=20,
                                 insertion_trials=3)
    # What --json prints must survive a round trip through JSON.
    return json.loads(json.dumps(result.as_dict()))


def test_engines_give_valid_plans_within_their_bound(report):
    assert [(r["size"], r["engine"]) for r in report["runs"]] == [(20, "fast"),
                                                                  (20, "optimal")]
    for run in report["runs"]:
        assert set(run) == ENGINE_RUN_KEYS
        assert run["violations"] == 0, run["violation_examples"]
        assert run["planned"] > 0
        assert 0.0 < run["share_of_bound"] <= run["share_of_best_bound"] <= 1.0
        assert run["objective"] <= run["best_bound"] <= run["bound"]
    fast, optimal = report["runs"]
    assert optimal["objective"] >= fast["objective"]
    violations = report["summary"]["violations"]
    assert (violations["fast"], violations["optimal"], violations["insertion"]) == (0, 0, 0)
    assert set(report["summary"]["engines"]) == {"fast", "optimal"}
    assert report["summary"]["first_valid_plan_s"]["20"]["mean"] == fast["elapsed_s"]
    assert report["night_sky_s"] > 0


def test_alert_insertion_keeps_the_executing_sequence(report):
    insertion = report["insertion"]
    assert insertion is not None, report["insertion_note"]
    assert insertion["trials"] == 3
    assert insertion["alerts_planned"] == 3
    assert insertion["executing_untouched"] == 3
    assert insertion["violations"] == 0, insertion["violation_examples"]
    assert 0 < insertion["p50_ms"] <= insertion["p99_ms"]


@pytest.mark.skipif(astroplan_missing() is not None, reason="astroplan is not installed")
def test_astroplan_reference_is_judged_by_our_objective(report):
    [reference] = report["astroplan"]
    assert reference["size"] == 20
    assert reference["time_resolution_s"] == 300.0
    assert reference["planned"] > 0
    assert 0.0 < reference["share_of_bound"] <= 1.0
    # The bound is proven for every valid plan: astroplan's, when it breaks no rule.
    if reference["violations"] == 0:
        assert reference["objective"] <= reference["bound"]
    assert "astroplan" in report["summary"]


def test_command_prints_json_and_skips_what_it_is_told_to():
    result = CliRunner().invoke(bench, ["scheduler", "--json", "--sizes", "10",
                                        "--seeds", "1", "--time-limit", "0.2",
                                        "--no-astroplan", "--insertions", "0"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["sizes"] == [10]
    assert report["astroplan"] == []
    assert report["astroplan_note"] == "skipped (--no-astroplan)"
    assert report["insertion"] is None
    assert [r["violations"] for r in report["runs"]] == [0, 0]


def test_command_rejects_bad_sizes():
    result = CliRunner().invoke(bench, ["scheduler", "--sizes", "ten"])
    assert result.exit_code != 0
    assert "comma-separated" in result.output
