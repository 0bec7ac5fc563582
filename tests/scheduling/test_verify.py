"""The verifier must catch every kind of broken plan, or the property tests and the
benchmark that rely on it would pass bad plans: each test plants one fault."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from astropy.coordinates import get_body
from astropy.time import Time

from pyros.astro import location, radec_from_altaz
from pyros.scheduling.problem import (
    FixedEntry,
    Overheads,
    Placement,
    PlanResult,
    Problem,
    Rejection,
    SequenceToPlan,
    SiteSpec,
)
from pyros.scheduling.verify import objective_of, verify_plan

SITE = SiteSpec(latitude=31.0439, longitude=-115.4637, elevation=2790.0)
NIGHT = date(2026, 11, 21)
WHERE = location(SITE.latitude, SITE.longitude, SITE.elevation)
T = datetime(2026, 11, 22, tzinfo=UTC) - timedelta(hours=SITE.longitude / 15.0)
ZENITH_RA = radec_from_altaz(89.9, 180.0, T, WHERE)[0]


def _at(minutes: float) -> datetime:
    return T + timedelta(minutes=minutes)


def _sequence(id_: str, **more) -> SequenceToPlan:
    fields = {"ra": ZENITH_RA, "dec": SITE.latitude, "duration": 1200.0} | more
    return SequenceToPlan(id_, **fields)


def _problem(*sequences: SequenceToPlan, **more) -> Problem:
    fields = {"site": SITE, "night": NIGHT, "overheads": Overheads(fixed=60.0)} | more
    return Problem(sequences=list(sequences), **fields)


def _placed(id_: str, minutes: float, length: float = 20.0) -> Placement:
    return Placement(id_, _at(minutes), _at(minutes + length))


def _result(*placements: Placement, rejections: tuple[Rejection, ...] = ()) -> PlanResult:
    return PlanResult(placements=list(placements), rejections=list(rejections),
                      objective=0.0, bound=None, elapsed=0.0, engine="test")


def _one_violation(problem: Problem, result: PlanResult, *words: str) -> None:
    violations = verify_plan(problem, result)
    assert len(violations) == 1, violations
    for word in words:
        assert word in violations[0], violations


def test_a_valid_plan_has_no_violations():
    problem = _problem(_sequence("a"), _sequence("b"), _sequence("c"))
    result = _result(_placed("a", -30), _placed("b", -9), rejections=(
        Rejection("c", "no room"),))
    assert verify_plan(problem, result) == []


def test_bookkeeping_faults():
    problem = _problem(_sequence("a"), _sequence("b"), _sequence("c"))
    result = _result(_placed("a", -60), _placed("a", -30), _placed("ghost", 0),
                     rejections=(Rejection("a", "no room"), Rejection("nobody", "x")))
    violations = "\n".join(verify_plan(problem, result))
    assert "a: planned 2 times" in violations
    assert "a: both planned and rejected" in violations
    assert "ghost: planned but not in the problem" in violations
    assert "nobody: rejected but not in the problem" in violations
    assert "b: neither planned nor rejected" in violations
    assert "c: neither planned nor rejected" in violations


def test_a_rejection_needs_a_reason():
    problem = _problem(_sequence("a"))
    _one_violation(problem, _result(rejections=(Rejection("a", " "),)), "without a reason")


def test_overlap_and_overhead():
    problem = _problem(_sequence("a"), _sequence("b"))
    _one_violation(problem, _result(_placed("a", 0), _placed("b", 10)), "overlap")
    _one_violation(problem, _result(_placed("a", 0), _placed("b", 20.5)), "overhead")
    assert verify_plan(problem, _result(_placed("a", 0), _placed("b", 21))) == []


def test_the_slew_model_sets_the_overhead():
    far = _sequence("b", ra=(ZENITH_RA - 90.0) % 360.0, dec=20.0)
    problem = _problem(_sequence("a"), far, overheads=Overheads(slew_rate_ra=1.0))
    # 90° of hour angle at 1°/s, then settle and filter: 95 s
    _one_violation(problem, _result(_placed("a", -120), _placed("b", -100 + 1.5)),
                   "needs 95 s")
    assert verify_plan(problem, _result(_placed("a", -120), _placed("b", -100 + 1.6))) == []


def test_placements_out_of_order():
    problem = _problem(_sequence("a"), _sequence("b"))
    _one_violation(problem, _result(_placed("b", 30), _placed("a", 0)), "time order")


def test_duration():
    problem = _problem(_sequence("a"))
    _one_violation(problem, _result(_placed("a", 0, length=19)), "duration")
    assert verify_plan(problem, _result(Placement("a", _at(0), _at(20) + timedelta(
        seconds=1)))) == []  # a second of rounding is allowed


def test_window():
    problem = _problem(_sequence("a", window=(_at(0), _at(30))))
    _one_violation(problem, _result(_placed("a", 15)), "window")
    _one_violation(problem, _result(_placed("a", -5)), "window")
    assert verify_plan(problem, _result(_placed("a", 10))) == []


def test_not_before():
    problem = _problem(_sequence("a"), not_before=_at(0))
    _one_violation(problem, _result(_placed("a", -1)), "before")
    assert verify_plan(problem, _result(_placed("a", 0))) == []


def test_daylight():
    problem = _problem(_sequence("a", ra=radec_from_altaz(89.9, 180.0, _at(-7 * 60),
                                                          WHERE)[0]))
    # local 17:00 is before nautical twilight in November
    _one_violation(problem, _result(_placed("a", -7 * 60)), "the sun is at")


def test_airmass_and_altitudes():
    low = _sequence("a", dec=-30.0, max_airmass=2.0)  # culminates at 29°: airmass 2.06
    _one_violation(_problem(low), _result(_placed("a", -10)), "airmass")
    low = _sequence("a", dec=-30.0, max_airmass=2.1)
    assert verify_plan(_problem(low), _result(_placed("a", -10))) == []
    floor = _sequence("a", dec=-30.0, min_altitude=35.0)
    _one_violation(_problem(floor), _result(_placed("a", -10)), "its minimum altitude 35")
    site = replace(SITE, min_altitude=35.0)
    _one_violation(_problem(_sequence("a", dec=-30.0), site=site),
                   _result(_placed("a", -10)), "the site's lowest altitude")


def test_horizon_profile():
    # the target culminates due south at 29°; a 40° wall to the south hides it
    site = replace(SITE, horizon=((90.0, 0.0), (170.0, 40.0), (190.0, 40.0),
                                  (270.0, 0.0)))
    problem = _problem(_sequence("a", dec=-30.0), site=site)
    _one_violation(problem, _result(_placed("a", -10)), "horizon profile")
    # the same wall to the north does not
    site = replace(SITE, horizon=((270.0, 0.0), (350.0, 40.0), (10.0, 40.0), (90.0, 0.0)))
    assert verify_plan(_problem(_sequence("a", dec=-30.0), site=site),
                       _result(_placed("a", -10))) == []


def test_hour_angle():
    site = replace(SITE, max_hour_angle=1.0)
    problem = _problem(_sequence("a"), site=site)
    assert verify_plan(problem, _result(_placed("a", -10))) == []
    _one_violation(problem, _result(_placed("a", 45)), "hour angle")
    _one_violation(problem, _result(_placed("a", -75)), "hour angle")


def test_moon_separation():
    night = date(2026, 11, 24)
    midnight = T + timedelta(days=3)
    moon = get_body("moon", Time(midnight), location=WHERE)
    near = _sequence("a", ra=float(moon.ra.deg), dec=float(moon.dec.deg),
                     min_moon_separation=20.0)
    placement = Placement("a", midnight, midnight + timedelta(minutes=20))
    _one_violation(_problem(near, night=night), _result(placement), "from the moon")
    ignored = replace(near, min_moon_separation=None)
    assert verify_plan(_problem(ignored, night=night), _result(placement)) == []


def test_quotas():
    problem = _problem(_sequence("a", program="GRB"), _sequence("b", program="GRB"),
                       _sequence("c", program="other"), quotas={"GRB": 2000.0})
    result = _result(_placed("a", -30), _placed("b", -9), _placed("c", 12))
    _one_violation(problem, result, "program GRB")
    problem.quotas["GRB"] = 2400.0
    assert verify_plan(problem, result) == []


def test_fixed_entries_are_accounted_for_and_kept_clear():
    problem = _problem(_sequence("running"), _sequence("a"),
                       fixed=[FixedEntry("running", _at(-20), _at(0))])
    # the running sequence needs neither a placement nor a rejection
    assert verify_plan(problem, _result(_placed("a", 1))) == []
    _one_violation(problem, _result(_placed("a", -10)), "overlap")
    _one_violation(problem, _result(_placed("a", 0.5)), "overhead")
    # planned again, it must stay where it is
    assert verify_plan(problem, _result(_placed("running", -20), _placed("a", 1))) == []
    _one_violation(problem, _result(_placed("running", -10), _placed("a", 11)), "fixed at")


@pytest.mark.parametrize("step", [10.0, 60.0, 600.0, 3600.0])
def test_the_end_of_a_placement_is_always_sampled(step):
    # the target sets below airmass 2 during the last seconds of its placement
    problem = _problem(_sequence("a", dec=0.0, max_airmass=1.2))
    assert verify_plan(problem, _result(_placed("a", 0)), step=step) == []
    violations = verify_plan(problem, _result(_placed("a", 0, length=90)), step=step)
    assert any("airmass" in v for v in violations)


def test_objective_counts_priority_times_duration():
    problem = _problem(_sequence("a", priority=3), _sequence("b", priority=1,
                                                             duration=600.0))
    assert objective_of(problem, [_placed("a", 0), _placed("b", 30, 10)]) == 3 * 1200 + 600
    assert objective_of(problem, [_placed("ghost", 0)]) == 0.0
