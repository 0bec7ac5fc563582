"""The alert strategy: real packets decided against the shipped default strategy and the
example unit (San Pedro Mártir), at fixed instants, and bad strategy documents refused
with the key named."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from astropy import units as u
from astropy.coordinates import Angle, SkyCoord

from pyros import paths
from pyros.alerts.strategy import (
    Strategy,
    StrategyError,
    check_strategy,
    decide,
    default_strategy,
    load_strategy,
    parse_strategy,
)
from pyros.alerts.templates import ExposureStep, step_for, tile_circle
from pyros.config.loader import load_config
from pyros.observations.lifecycle import ObsType
from pyros.observations.spec import RequestSpec, check_against_unit
from tests.alerts import alert

UNIT = load_config(paths.EXAMPLE_CONFIG)
DEFAULT = default_strategy()


def variant(strategy: Strategy = DEFAULT, rules: dict[str, dict[str, Any]] | None = None,
            **changes: Any) -> Strategy:
    """The strategy with top-level ``changes`` and per-rule changes, validated again."""
    data = strategy.model_dump(mode="json")
    data.update(changes)
    for rule in data["rules"]:
        rule.update((rules or {}).get(rule["name"], {}))
    return Strategy.model_validate(data)


def after(name: str, seconds: float) -> datetime:
    event_time = alert(name).event_time
    assert event_time is not None
    return event_time + timedelta(seconds=seconds)


def wide_field_unit():
    """The example unit with 5.7° fields (10″ pixels), for error circles of degrees."""
    channels = [c.model_copy(update={"pixel_scale": 10.0}) for c in UNIT.channels]
    return UNIT.model_copy(update={"channels": channels})


# -- the default strategy -------------------------------------------------------------------

def test_the_default_strategy_loads_and_fits_the_example_unit():
    assert DEFAULT.name == "GRB follow-up (default)"
    assert check_strategy(DEFAULT, UNIT) == []
    assert DEFAULT.rules[0].name == "Swift BAT" and DEFAULT.rules[0].priority == 9


def test_a_strategy_round_trips_through_json_as_the_database_keeps_it():
    text = json.dumps(DEFAULT.model_dump(mode="json"))
    assert load_strategy(text) == DEFAULT
    assert parse_strategy(json.loads(text)) == DEFAULT


# -- accepted -------------------------------------------------------------------------------

def test_a_swift_bat_position_becomes_a_valid_request():
    packet = alert("swift_bat_grb_pos_655721.xml")
    now = after("swift_bat_grb_pos_655721.xml", 120)
    decision = decide(packet, DEFAULT, UNIT, now, version=3)

    assert decision.accepted, decision.reason
    assert decision.reason == "accepted by rule 'Swift BAT': 1 pointing, priority 9"
    assert (decision.rule, decision.strategy, decision.strategy_version) == (
        "Swift BAT", "GRB follow-up (default)", "3")
    assert [c.name for c in decision.checks] == [
        "role", "retraction", "rule", "observe", "template", "position", "error radius",
        "delay", "window", "visibility", "exposures", "request"]
    assert all(c.passed for c in decision.checks)

    request = decision.request
    assert request is not None
    assert request.name == "GRB 655721 (Swift SWIFT_BAT_GRB_POS_ACK)"
    assert (request.scientific_program, request.target_type, request.submitted) == (
        "GRB", "alert", True)
    [sequence] = request.sequences
    assert (sequence.ra, sequence.dec) == (319.7309, -34.8537)
    assert (sequence.start, sequence.end) == (now, now + timedelta(hours=12))
    assert sequence.priority == 9 and sequence.obs_type == ObsType.IMMEDIATE
    assert sequence.max_airmass == 3.0
    assert [(a.detector, [p.filter for p in a.plans]) for a in sequence.albums] == [
        ("Visible camera", ["r", "i"]), ("Infrared camera", ["J", "H"])]
    # Triggered at 14:18 local time: the target (dec -35°, 24° high at best from SPM)
    # rises above airmass 3 at 03:35 UTC, 6.3 h after the trigger, so the scheme's last
    # step applies: 20 × 60 s per filter, 6 s readouts and a filter change per plan on
    # the visible camera, the longer of the two that expose in parallel.
    visibility = next(c for c in decision.checks if c.name == "visibility")
    assert "from 2015-09-16 03:35 UTC" in visibility.detail
    assert {(p.exposure, p.nb_images) for a in sequence.albums for p in a.plans} == {(60, 20)}
    assert sequence.duration == 2 * (20 * (60 + 6) + 2)

    assert check_against_unit(request, UNIT.filters_by_detector(), now) == []
    assert RequestSpec.model_validate(request.model_dump()) == request
    assert decision.summary()["request"]["sequences"][0]["duration"] == sequence.duration


@pytest.mark.parametrize(("delay", "exposure", "count"), [
    (120, 10, 10), (599, 10, 10), (600, 30, 20), (1200, 30, 20), (7200, 60, 20)])
def test_the_exposure_scheme_follows_the_delay_since_the_trigger(delay, exposure, count):
    anytime = variant(require_visibility=False, require_night=False)
    now = after("swift_bat_grb_pos_655721.xml", delay)
    decision = decide(alert("swift_bat_grb_pos_655721.xml"), anytime, UNIT, now)
    assert decision.accepted, decision.reason
    [sequence] = decision.request.sequences
    assert {(p.exposure, p.nb_images) for a in sequence.albums for p in a.plans} == {
        (exposure, count)}
    assert sequence.duration == 2 * (count * (exposure + 6) + 2)
    assert sequence.start == now


def test_the_scheme_steps():
    scheme = [ExposureStep(until_s=600, exposure=10, count=10),
              ExposureStep(until_s=3600, exposure=30, count=20),
              ExposureStep(exposure=60, count=20)]
    assert [step_for(scheme, d).exposure for d in (-5, 0, 599.9, 600, 3599, 3600, 1e6)] == [
        10, 10, 10, 30, 30, 60, 60]


def test_the_decision_is_deterministic():
    packet = alert("swift_bat_grb_pos_655721.xml")
    now = after("swift_bat_grb_pos_655721.xml", 300)
    assert decide(packet, DEFAULT, UNIT, now).summary() == \
        decide(packet, DEFAULT, UNIT, now).summary()


# -- error circles ----------------------------------------------------------------------------

def test_a_gbm_circle_too_large_for_the_field_is_skipped():
    now = after("fermi_gbm_fin_pos_538809001.xml", 300)
    decision = decide(alert("fermi_gbm_fin_pos_538809001.xml"), DEFAULT, UNIT, now)
    assert not decision.accepted and decision.request is None
    assert decision.reason == ("error radius 5.72° exceeds the rule's 0.5° limit "
                               "(field of view 0.22° × 0.22°)")
    assert decision.rule == "Fermi GBM"
    assert decision.checks[-1].name == "error radius" and not decision.checks[-1].passed


def test_a_gbm_circle_is_tiled_when_the_rule_says_so():
    """Triggered at 21:27 local time, the burst (dec -26°) is near its meridian from SPM:
    the 5.72° circle is covered with 5.7° fields at once, with the first exposures."""
    unit = wide_field_unit()
    tiling = variant(rules={"Fermi GBM": {"tile": True, "max_tiles": 16}})
    packet = alert("fermi_gbm_fin_pos_538809001.xml")
    now = after("fermi_gbm_fin_pos_538809001.xml", 60)
    decision = decide(packet, tiling, unit, now)
    assert decision.accepted, decision.reason

    sequences = decision.request.sequences
    count = len(sequences)
    assert 4 <= count <= 16
    detail = next(c.detail for c in decision.checks if c.name == "error radius")
    assert f"tiled with {count} pointings of 5.69° × 5.69°" in detail
    assert [s.name for s in sequences] == [
        f"GRB 538809001 tile {i}/{count}" for i in range(1, count + 1)]
    assert all(s.target == "GRB 538809001" for s in sequences)
    # The tiles nearest the centre first: one priority above the rule's.
    rule = next(r.priority for r in tiling.rules if r.name == "Fermi GBM")
    nearest = min(c.separation(centre_of(packet)).deg for c in tiles_of(sequences))
    for sequence, tile in zip(sequences, tiles_of(sequences), strict=True):
        central = tile.separation(centre_of(packet)).deg <= nearest + 1e-6
        assert sequence.priority == (min(10, rule + 1) if central else rule), sequence.name
    assert {(p.exposure, p.nb_images) for s in sequences for a in s.albums
            for p in a.plans} == {(10, 10)}
    assert check_against_unit(decision.request, unit.filters_by_detector(), now) == []

    # Every tile is near the circle, and every point of the circle is in a field.
    centre = SkyCoord(packet.ra * u.deg, packet.dec * u.deg)
    tiles = SkyCoord([s.ra for s in sequences] * u.deg, [s.dec for s in sequences] * u.deg)
    width = 2048 * 10.0 / 3600
    cell = width * (1 - tiling.tile_overlap)
    assert (centre.separation(tiles).deg <= packet.error_radius + cell / 2**0.5).all()
    assert_covered(centre, packet.error_radius, tiles, width)


def centre_of(packet) -> SkyCoord:
    return SkyCoord(packet.ra * u.deg, packet.dec * u.deg)


def tiles_of(sequences) -> list[SkyCoord]:
    return [SkyCoord(s.ra * u.deg, s.dec * u.deg) for s in sequences]


def assert_covered(centre: SkyCoord, radius: float, tiles: SkyCoord, width: float) -> None:
    angles = Angle(range(0, 360, 10), u.deg)
    for fraction in (0.0, 0.3, 0.6, 0.9, 1.0):
        points = centre.directional_offset_by(angles, fraction * radius * u.deg)
        inside = [False] * len(angles)
        for k in range(len(tiles)):
            offsets = points.transform_to(tiles[k].skyoffset_frame())
            for i, (lon, lat) in enumerate(zip(offsets.lon.deg, offsets.lat.deg, strict=True)):
                inside[i] |= abs(lon) <= width / 2 and abs(lat) <= width / 2
        assert all(inside), f"points at {fraction} of the radius outside every field"


def test_tiling_is_refused_past_the_rules_cap():
    tiling = variant(rules={"Fermi GBM": {"tile": True, "max_tiles": 2}})
    now = after("fermi_gbm_fin_pos_538809001.xml", 60)
    decision = decide(alert("fermi_gbm_fin_pos_538809001.xml"), tiling, wide_field_unit(), now)
    assert not decision.accepted
    assert decision.reason.startswith("error radius 5.72° exceeds the rule's 0.5° limit")
    assert "the rule allows 2" in decision.reason


@pytest.mark.parametrize(("radius", "expected"), [(0.05, 1), (0.125, 4), (0.2, 8)])
def test_tile_grids_use_the_fewest_fields(radius, expected):
    """Cells of 0.194° (a 0.216° field less 10 %): a corner at the centre covers 0.125°
    with 2 × 2; 0.2° needs 3 cells on one axis but only 2 rows on the other."""
    tiles = tile_circle(237.8, 26.3, radius, (0.216, 0.216), 0.1)
    assert len(tiles) == expected
    assert tiles == sorted(tiles, key=lambda t: round(t.offset, 9))
    if expected == 1:
        assert (tiles[0].ra, tiles[0].dec) == (237.8, 26.3)
    centre = SkyCoord(237.8 * u.deg, 26.3 * u.deg)
    assert_covered(centre, radius, SkyCoord([t.ra for t in tiles] * u.deg,
                                            [t.dec for t in tiles] * u.deg), 0.216)


# -- rejected -------------------------------------------------------------------------------

def test_lvk_without_position_is_skipped_with_the_reason():
    packet = alert("lvk_s230528ay_preliminary.xml")
    now = after("lvk_s230528ay_preliminary.xml", 60)
    decision = decide(packet, DEFAULT, UNIT, now)
    assert not decision.accepted
    assert decision.reason == "no position: sky-map follow-up not configured"
    # A rule that would observe LVK still finds no position to point at.
    observing = variant(rules={"LVK": {"observe": True, "template": "grb", "reason": ""}})
    decision = decide(packet, observing, UNIT, now)
    assert decision.reason == "no position: sky-map follow-up not configured"
    assert decision.checks[-1].name == "position"


def test_a_packet_without_position_yet_is_skipped():
    now = after("fermi_gbm_alert_538809001.xml", 10)
    decision = decide(alert("fermi_gbm_alert_538809001.xml"), DEFAULT, UNIT, now)
    assert decision.reason == "no position in this packet"


@pytest.mark.parametrize("name", ["swift_bat_grb_pos_test.xml", "broker_test_no_namespace.xml",
                                  "lvk_ms181101ab_retraction.xml"])
def test_test_packets_are_logged_never_observed(name):
    now = datetime(2026, 2, 7, 10, 0, tzinfo=UTC)
    decision = decide(alert(name), DEFAULT, UNIT, now)
    assert not decision.accepted and decision.request is None and not decision.cancels
    assert decision.reason == "test packet: logged, never observed"
    assert [c.name for c in decision.checks] == ["role"]


def test_a_retraction_cancels_the_events_requests():
    now = after("svom_retraction_sb26030408.xml", 3600)
    decision = decide(alert("svom_retraction_sb26030408.xml"), DEFAULT, UNIT, now)
    assert not decision.accepted and decision.cancels
    assert decision.reason == "retraction: cancels the event's requests"


def test_a_packet_no_rule_matches():
    swift_only = Strategy.model_validate(
        {**DEFAULT.model_dump(mode="json"),
         "rules": [r.model_dump(mode="json") for r in DEFAULT.rules if r.missions != ["Fermi"]]})
    now = after("fermi_gbm_fin_pos_538809001.xml", 60)
    decision = decide(alert("fermi_gbm_fin_pos_538809001.xml"), swift_only, UNIT, now)
    assert decision.reason == "no rule for Fermi FERMI_GBM_FIN_POS"
    assert decision.rule is None


def test_a_rule_that_does_not_observe():
    quiet = variant(rules={"INTEGRAL": {"observe": False}})
    now = after("integral_refined_10042.xml", 60)
    decision = decide(alert("integral_refined_10042.xml"), quiet, UNIT, now)
    assert decision.reason == "rule 'INTEGRAL' does not observe INTEGRAL INTEGRAL_REFINED"
    assert decision.rule == "INTEGRAL"


def test_too_late():
    now = after("swift_bat_grb_pos_655721.xml", 2 * 86400)
    decision = decide(alert("swift_bat_grb_pos_655721.xml"), DEFAULT, UNIT, now)
    assert decision.reason == "too late: 48.0 h since the event, past the rule's 24.0 h"


def test_the_window_ends_at_the_rules_delay_limit():
    anytime = variant(require_visibility=False, require_night=False)
    now = after("swift_bat_grb_pos_655721.xml", 23 * 3600)
    decision = decide(alert("swift_bat_grb_pos_655721.xml"), anytime, UNIT, now)
    assert decision.accepted
    assert decision.request.sequences[0].end == now + timedelta(hours=1)


def test_a_target_never_high_enough_from_the_site():
    """XRT 644259 is at dec -53°: never more than 6° above San Pedro Mártir's horizon."""
    now = after("swift_xrt_pos_644259_v1.1.xml", 300)
    decision = decide(alert("swift_xrt_pos_644259_v1.1.xml"), DEFAULT, UNIT, now)
    assert not decision.accepted
    assert decision.reason.startswith("not visible before 2015-06-17 11:10 UTC: never "
                                      "observable (within airmass 3")
    assert decision.checks[-1].name == "visibility"


def test_a_window_in_daylight_fails_the_night_check():
    night_only = variant(require_visibility=False, require_night=True,
                         templates={"grb": {**DEFAULT.templates["grb"].model_dump(mode="json"),
                                            "window_hours": 2.0}})
    now = after("svom_eclairs_wakeup_sb26022802.xml", 60)  # 13:14 local time
    decision = decide(alert("svom_eclairs_wakeup_sb26022802.xml"), night_only, UNIT, now)
    assert not decision.accepted
    assert "the window meets no dark time (dark time " in decision.reason
    assert decision.checks[-1].name == "night"


def test_a_template_for_another_unit_is_reported():
    data = DEFAULT.model_dump(mode="json")
    data["templates"]["grb"]["albums"][0]["filters"] = ["V"]
    other = Strategy.model_validate(data)
    assert check_strategy(other, UNIT) == [
        "templates.grb: detector 'Visible camera' has no filter 'V' "
        "(filters: Clear, g, r, i, z, First infrared filter)"]
    now = after("swift_bat_grb_pos_655721.xml", 60)
    decision = decide(alert("swift_bat_grb_pos_655721.xml"), other, UNIT, now)
    assert not decision.accepted and decision.checks[-1].name == "template"
    assert "has no filter 'V'" in decision.reason


# -- bad strategy documents -------------------------------------------------------------------

GOOD = """
name = "test"
[templates.grb]
scheme = [{ until_s = 600, exposure = 10, count = 10 }, { exposure = 60, count = 5 }]
albums = [{ detector = "Visible camera", filters = ["r"] }]
[[rules]]
name = "Swift"
missions = ["Swift"]
template = "grb"
"""


@pytest.mark.parametrize(("change", "expected"), [
    (('name = "Swift"', 'name = "Swift"\npriority = 11'),
     "rules[0].priority: Input should be less than or equal to 10"),
    (('name = "Swift"', 'name = "Swift"\ncolour = "red"'), "rules[0].colour: unknown key"),
    (('template = "grb"', 'template = "afterglow"'),
     "rules[0].template: 'afterglow' is not a template (templates: grb)"),
    (('template = "grb"', ""), "rule 'Swift' observes, so it needs a template"),
    (("until_s = 600, exposure = 10", "exposure = 10"),
     "templates.grb.scheme: step [0] has no until_s"),
    (("{ exposure = 60", "{ until_s = 60, exposure = 60"),
     "templates.grb.scheme: until_s must increase: step [1] (60 s) is not after step [0]"),
    (("{ exposure = 60", "{ until_s = 7200, exposure = 60"),
     "templates.grb.scheme: the last step must have no until_s"),
    (("count = 5", "count = 0"), "templates.grb.scheme[1].count: Input should be greater"),
    (('filters = ["r"]', 'filters = ["r", "r"]'), "templates.grb.albums[0].filters"),
    (('name = "test"', 'name = "test"\nrequire_visibility = "maybe"'), "require_visibility"),
    (('missions = ["Swift"]', "missions = []"), "rules[0].missions: List should have at least"),
    (('name = "test"', 'name = "test'), "not valid TOML or JSON"),
])
def test_bad_strategies_are_refused_with_the_key_named(change, expected):
    old, new = change
    assert old in GOOD
    load_strategy(GOOD)  # the unchanged document is fine
    with pytest.raises(StrategyError) as error:
        load_strategy(GOOD.replace(old, new, 1))
    assert expected in str(error.value)


def test_a_missing_file_is_reported(tmp_path: Path):
    with pytest.raises(StrategyError, match="cannot read the strategy"):
        load_strategy(tmp_path / "nowhere.toml")
    path = tmp_path / "strategy.toml"
    path.write_text(GOOD, encoding="utf-8")
    assert load_strategy(path).name == "test"
