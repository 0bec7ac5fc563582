"""The simulation file and the JSON answer are a documented interface (``pyros schedule
simulate``): what is accepted, what is refused with which message, and exactly which
keys come back."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime

import pytest

from pyros.scheduling.planner import make_plan
from pyros.scheduling.problem import ObservationType, Overheads, SiteSpec
from pyros.scheduling.simulation import SimulationError, parse_simulation, result_json
from pyros.scheduling.verify import verify_plan

FULL = {
    "site": {"lat": 31.04, "lon": -115.46, "elevation_m": 2790, "horizon_deg": 20},
    "night": "2026-11-21",
    "overheads": {"fixed_s": 60},
    "quotas": {"GRB": 7200},
    "sequences": [
        {"id": "s1", "ra": 10.5, "dec": 41.2, "duration_s": 900, "priority": 3,
         "window": ["2026-11-22T03:00:00Z", "2026-11-22T06:00:00Z"], "preferred": None,
         "type": "BESTELEV", "max_airmass": 2.0, "min_moon_sep_deg": 30, "program": "GRB"},
        {"id": "s2", "ra": 56.75, "dec": 24.1, "duration_s": 1200, "type": "IMMEDIATE",
         "preferred": "2026-11-22T08:00:00"},
    ],
}
MINIMAL = {"night": "2026-11-21",
           "sequences": [{"id": "only", "ra": 83.8, "dec": -5.4, "duration_s": 600}]}
DEFAULT_SITE = SiteSpec(latitude=-29.26, longitude=-70.73, elevation=2400.0,
                        min_altitude=10.0, max_hour_angle=5.0)


def test_a_full_file():
    problem = parse_simulation(FULL)
    assert problem.night == date(2026, 11, 21)
    assert problem.site.latitude == 31.04 and problem.site.longitude == -115.46
    assert problem.site.elevation == 2790.0
    assert problem.site.min_altitude == 20.0
    assert problem.overheads == Overheads(fixed=60.0)
    assert problem.quotas == {"GRB": 7200.0}
    first, second = problem.sequences
    assert (first.id, first.ra, first.dec, first.duration, first.priority) == (
        "s1", 10.5, 41.2, 900.0, 3)
    assert first.window == (datetime(2026, 11, 22, 3, tzinfo=UTC),
                            datetime(2026, 11, 22, 6, tzinfo=UTC))
    assert first.obs_type == ObservationType.BESTELEV
    assert first.max_airmass == 2.0 and first.min_moon_separation == 30.0
    assert first.program == "GRB"
    assert second.obs_type == ObservationType.IMMEDIATE
    assert second.priority == 5 and second.window is None and second.program is None
    # a time without a zone is UTC
    assert second.preferred == datetime(2026, 11, 22, 8, tzinfo=UTC)


def test_a_minimal_file_takes_the_unit_defaults():
    unit_overheads = Overheads(slew_rate_ra=2.0, slew_rate_dec=1.5)
    problem = parse_simulation(MINIMAL, default_site=DEFAULT_SITE,
                               default_overheads=unit_overheads)
    assert problem.site == DEFAULT_SITE
    assert problem.overheads == unit_overheads
    assert problem.quotas == {}
    [only] = problem.sequences
    assert only.priority == 5 and only.obs_type == ObservationType.BESTELEV
    assert only.max_airmass is None and only.min_moon_separation is None


def test_without_unit_overheads_the_model_defaults():
    problem = parse_simulation(MINIMAL, default_site=DEFAULT_SITE)
    assert problem.overheads == Overheads()


def test_the_file_site_wins_over_the_unit():
    problem = parse_simulation(FULL, default_site=DEFAULT_SITE)
    assert problem.site.latitude == 31.04


def test_a_file_without_a_site_needs_the_unit():
    with pytest.raises(SimulationError, match="no site"):
        parse_simulation(MINIMAL)


def _broken(change) -> str:
    data = copy.deepcopy(FULL)
    change(data)
    with pytest.raises(SimulationError) as caught:
        parse_simulation(data)
    message = str(caught.value)
    assert message.startswith("invalid simulation file: ")
    return message


def test_unknown_keys_are_named():
    message = _broken(lambda d: d.update(telescope="T1M"))
    assert "telescope" in message and "not permitted" in message
    message = _broken(lambda d: d["sequences"][1].update(colour="red"))
    assert "sequences.1.colour" in message
    message = _broken(lambda d: d["site"].update(latitude=31.0))
    assert "site.latitude" in message


def test_a_window_that_ends_before_it_starts():
    def reverse(data):
        data["sequences"][0]["window"] = ["2026-11-22T06:00:00Z", "2026-11-22T03:00:00Z"]
    message = _broken(reverse)
    assert "sequences.0.window" in message
    assert "the window's end must come after its start" in message


def test_a_duplicate_id():
    message = _broken(lambda d: d["sequences"][1].update(id="s1"))
    assert "sequence id 's1' appears twice" in message


@pytest.mark.parametrize("ra", [-0.1, 360.0, 400.0])
def test_ra_out_of_range(ra):
    message = _broken(lambda d: d["sequences"][0].update(ra=ra))
    assert "sequences.0.ra" in message


@pytest.mark.parametrize(("field", "value"), [
    ("dec", 91.0), ("duration_s", 0), ("priority", 11), ("priority", 0),
    ("type", "FASTEST"), ("max_airmass", 0.5), ("min_moon_sep_deg", -1),
])
def test_other_values_out_of_range(field, value):
    message = _broken(lambda d: d["sequences"][0].update({field: value}))
    assert f"sequences.0.{field}" in message


def test_a_missing_night():
    message = _broken(lambda d: d.pop("night"))
    assert "night: Field required" in message


def test_a_missing_sequence_field():
    message = _broken(lambda d: d["sequences"][0].pop("duration_s"))
    assert "sequences.0.duration_s: Field required" in message


@pytest.mark.parametrize("data", [[], "plan", None, {"night": "tonight", "sequences": []}])
def test_not_a_simulation_file(data):
    with pytest.raises(SimulationError, match="invalid simulation file"):
        parse_simulation(data)


def test_the_answer_has_exactly_the_documented_keys():
    problem = parse_simulation(FULL)
    result = make_plan(problem, engine="fast")
    assert verify_plan(problem, result) == []
    answer = json.loads(json.dumps(result_json(result)))
    assert set(answer) == {"plan", "unplanned", "objective", "bound", "elapsed_s",
                           "engine", "proven_optimal"}
    assert len(answer["plan"]) + len(answer["unplanned"]) == 2
    for entry in answer["plan"]:
        assert set(entry) == {"id", "start", "end"}
        assert entry["start"].endswith("Z") and entry["end"].endswith("Z")
    for entry in answer["unplanned"]:
        assert set(entry) == {"id", "reason"} and entry["reason"]
    assert answer["engine"] == "fast"
    assert isinstance(answer["objective"], float)
    assert answer["bound"] is None or answer["bound"] >= answer["objective"]
    assert isinstance(answer["proven_optimal"], bool)
    assert answer["elapsed_s"] >= 0


def test_the_answer_gives_the_plan_times_in_utc():
    problem = parse_simulation(MINIMAL, default_site=DEFAULT_SITE)
    result = make_plan(problem, engine="optimal", time_limit=1.0)
    answer = result_json(result)
    [entry] = answer["plan"]
    [placement] = result.placements
    assert entry["id"] == "only"
    assert datetime.fromisoformat(entry["start"].replace("Z", "+00:00")) == placement.start
    assert datetime.fromisoformat(entry["end"].replace("Z", "+00:00")) == placement.end
    assert answer["unplanned"] == []
    assert answer["objective"] == 5 * 600.0
