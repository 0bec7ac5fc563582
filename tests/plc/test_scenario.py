"""Scenario files: the guide's rain scenario, events by elapsed time, failure events, and
errors that say which event of which file is wrong."""

from __future__ import annotations

import json

import pytest

from pyros.plc.document import default_document
from pyros.plc.scenario import (
    ScenarioError,
    ScenarioPlayer,
    builtin_scenario,
    load_scenario,
    parse_scenario,
)

RAIN_SENSORS = (("WXT520", "RainRate"), ("VantagePro", "RainRate"))


def change(device: str, value_name: str | None = None, value: object = None, **when) -> dict:
    payload: dict = {"device_name": device}
    if value_name is not None:
        payload |= {"value_name": value_name, "value": value}
    return {**when, "plcSimulator": payload}


def test_the_guides_rain_scenario_rains_12_mm_h_from_iteration_3_to_7():
    scenario = builtin_scenario("rain")
    assert scenario.length == 10
    assert len(scenario.events) == 4
    player = ScenarioPlayer(default_document(), scenario)
    for iteration in range(0, 13):
        document = player.document_at(iteration)
        expected = 12.0 if 3 <= iteration < 7 else 0.0
        for device, value in RAIN_SENSORS:
            assert document.value(device, value).value == expected, (iteration, device)
        # nothing else moves
        assert document.value("WXT520", "OutsideTemp").value == 12.12
        assert document.value("DRD11", "analog").value == 2.345
        assert document.device("VantagePro").valid is False
    assert not player.is_finished(9)
    assert player.is_finished(10)


def test_without_a_scenario_the_plc_always_says_the_same():
    player = ScenarioPlayer(default_document())
    assert player.document_at(1) == player.document_at(500, 3600.0) == default_document()
    assert player.failure_at(7, 60.0) is None


def test_events_by_elapsed_seconds():
    scenario = parse_scenario([
        5,
        change("WXT520", "WindSpeed", 18.5, at_seconds=30),
        {"at_seconds": 60, "plcSimulator": {"device_name": "DRD11", "valid": "no"}},
        change("WXT520", "WindSpeed", 4.0, at_seconds=90.5),
    ])
    player = ScenarioPlayer(default_document(), scenario)
    wind = [player.document_at(1, s).value("WXT520", "WindSpeed").value
            for s in (0.0, 29.9, 30.0, 60.0, 90.4, 90.5, 10_000.0)]
    assert wind == [3.1, 3.1, 18.5, 18.5, 18.5, 4.0, 4.0]
    assert player.document_at(1, 59.9).reading("DRD11", "digital").is_valid is True
    assert player.document_at(1, 60.0).reading("DRD11", "digital").is_valid is False


def test_when_both_kinds_change_a_value_the_later_event_in_the_file_wins():
    scenario = parse_scenario([
        10,
        change("WXT520", "RainRate", 12.0, time=2),
        change("WXT520", "RainRate", 0.5, at_seconds=5),
    ])
    player = ScenarioPlayer(default_document(), scenario)
    assert player.document_at(1, 6.0).value("WXT520", "RainRate").value == 0.5
    assert player.document_at(3, 1.0).value("WXT520", "RainRate").value == 12.0
    assert player.document_at(3, 6.0).value("WXT520", "RainRate").value == 0.5


def test_failures_last_for_iterations_or_seconds():
    scenario = parse_scenario([
        20,
        {"time": 4, "failure": "silent", "for_iterations": 3},
        {"time": 9, "failure": "disconnect"},
        {"at_seconds": 10, "failure": "garbage", "for_seconds": 2.5, "frame": "{oops"},
    ])
    player = ScenarioPlayer(default_document(), scenario)
    kinds = [getattr(player.failure_at(i), "failure", None) for i in range(1, 11)]
    assert kinds == [None, None, None, "silent", "silent", "silent", None, None,
                     "disconnect", None]
    assert player.failure_at(1, 9.9) is None
    garbage = player.failure_at(1, 10.0)
    assert garbage is not None and garbage.frame == "{oops"
    assert player.failure_at(1, 12.4) is garbage
    assert player.failure_at(1, 12.5) is None
    # the first failure in the file wins where two overlap
    assert player.failure_at(5, 11.0).failure == "silent"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"length": 10}, "a scenario is a JSON array"),
        ([], "a scenario is a JSON array"),
        (["10"], "the first element must be the length in iterations"),
        ([0], "the first element must be the length in iterations"),
        ([10, "rain"], "event 1: an event is a JSON object"),
        ([10, change("WXT520", "RainRate", 1.0)], 'either "time" (iteration) or "at_seconds"'),
        ([10, change("WXT520", "RainRate", 1.0, time=2, at_seconds=3)], 'either "time"'),
        ([10, change("WXT520", "RainRate", 1.0, time=11)],
         "event 1: iteration 11 is after the scenario's length 10"),
        ([10, change("WXT520", "RainRate", 1.0, tme=2)], "event 1: tme: Extra inputs"),
        ([10, change("WXT520", "RainRate", 1.0, time=-1)], "time: Input should be greater"),
        ([10, {"time": 2, "plcSimulator": {"device_name": "WXT520", "value_name": "RainRate"}}],
         "value_name and value go together"),
        ([10, {"time": 2, "plcSimulator": {"device_name": "WXT520"}}],
         "needs value_name and value, or valid"),
        ([10, {"time": 2, "failure": "fire"}], "failure: Input should be 'silent'"),
        ([10, {"time": 2}], 'either "plcSimulator" (a change) or "failure"'),
        ([10, {"at_seconds": 2, "failure": "silent"}], 'needs "for_seconds"'),
        ([10, {"time": 2, "failure": "silent", "for_seconds": 3}], "lasts for_iterations"),
        ([10, {"at_seconds": 2, "failure": "silent", "for_iterations": 3}], "lasts for_seconds"),
        ([10, {"time": 2, "failure": "silent", "frame": "x"}], "only applies to a \"garbage\""),
        ([10, {"time": 2, "failure": "garbage", "frame": "a\nb"}], "must not contain a newline"),
        ([10, change("WXT520", "RainRate", 1.0, time=5), change("WXT520", "RainRate", 0.0, time=4)],
         "event 2 (iteration 4) comes after event 1 (iteration 5)"),
        ([10, change("WXT520", "RainRate", 1.0, at_seconds=5),
          change("WXT520", "RainRate", 0.0, at_seconds=4.5)],
         "event 2 (4.5 s) comes after event 1 (5 s)"),
    ],
)
def test_invalid_scenarios_name_the_event(data, message):
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data, source="scenario storm.json")
    assert str(caught.value).startswith("scenario storm.json: ")
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (change("WXT530", "RainRate", 12.0, time=3), "no device 'WXT530'"),
        (change("WXT520", "Rain", 12.0, time=3), "PLC device 'WXT520' has no value 'Rain'"),
        (change("WXT520", "RainRate", "heavy", time=3),
         "unit 'mm/h' needs a number, got 'heavy'"),
    ],
)
def test_changes_are_checked_against_the_plc_document_at_load(event, message):
    scenario = parse_scenario([10, change("WXT520", "RainRate", 1.0, time=1), event], "s.json")
    with pytest.raises(ScenarioError) as caught:
        ScenarioPlayer(default_document(), scenario)
    assert str(caught.value).startswith("s.json: event 2 (")
    assert message in str(caught.value)


def test_scenario_files(tmp_path):
    path = tmp_path / "wind.json"
    path.write_text(json.dumps([4, change("WXT520", "WindSpeed", 20.0, time=2)]))
    scenario = load_scenario(path)
    assert scenario.length == 4
    assert ScenarioPlayer(default_document(), scenario).document_at(2).value(
        "WXT520", "WindSpeed").value == 20.0

    broken = tmp_path / "broken.json"
    broken.write_text("[4, {")
    with pytest.raises(ScenarioError, match=f"scenario {broken}: not JSON"):
        load_scenario(broken)
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "missing.json")
    with pytest.raises(ScenarioError, match=r"no scenario file 'snow' .*\(built-in: rain\)"):
        builtin_scenario("snow")
