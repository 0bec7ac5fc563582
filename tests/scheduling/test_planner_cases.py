"""The original PyROS guide's scheduler cases (TEST_3_SEQ_MOVE_LEFT, _MOVE_RIGHT,
_MOVE_BOTH, _PRIORITY, _PRIORITY_OVERLAP and successive re-planning), as small nights
whose outcome is known exactly, plus the placement preferences (IMMEDIATE, BESTELEV, a
preferred time).

The targets sit on the meridian at the zenith around local midnight, so visibility never
bites and the windows and preferred times alone decide; the overhead is a fixed minute.
Times are in minutes from local midnight ``T``; a window ``(lo, hi)`` loses the
visibility's 10-second safety margin at each end.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import AltAz, SkyCoord
from astropy.time import Time

from pyros.astro import location, radec_from_altaz
from pyros.scheduling.planner import make_plan
from pyros.scheduling.problem import (
    ObservationType,
    Overheads,
    PlanResult,
    Problem,
    SequenceToPlan,
    SiteSpec,
    airmass_altitude,
)
from pyros.scheduling.sky import night_sky
from pyros.scheduling.verify import verify_plan

SITE = SiteSpec(latitude=31.0439, longitude=-115.4637, elevation=2790.0)
NIGHT = date(2026, 11, 21)
WHERE = location(SITE.latitude, SITE.longitude, SITE.elevation)
T = datetime(2026, 11, 22, tzinfo=UTC) - timedelta(hours=SITE.longitude / 15.0)
OVERHEAD = 60.0
ENGINES = ["fast", "optimal"]
SECOND = timedelta(seconds=1)


def _at(minutes: float) -> datetime:
    return T + timedelta(minutes=minutes)


def _minutes(moment: datetime) -> float:
    return (moment - T).total_seconds() / 60.0


def _meridian_ra(minutes: float = 0.0) -> float:
    return radec_from_altaz(89.9, 180.0, _at(minutes), WHERE)[0]


ZENITH_RA = _meridian_ra()


def _sequence(id_: str, *, window: tuple[float, float] | None = None,
              preferred: float | None = None, priority: int = 5, minutes: float = 20.0,
              ra: float = ZENITH_RA, dec: float = SITE.latitude,
              **more) -> SequenceToPlan:
    return SequenceToPlan(
        id_, ra=ra, dec=dec, duration=minutes * 60.0, priority=priority,
        window=None if window is None else (_at(window[0]), _at(window[1])),
        preferred=None if preferred is None else _at(preferred), **more)


def _plan(sequences: list[SequenceToPlan], engine: str, *,
          site: SiteSpec = SITE) -> tuple[PlanResult, dict[str, tuple[float, float]]]:
    problem = Problem(site=site, night=NIGHT, sequences=sequences,
                      overheads=Overheads(fixed=OVERHEAD))
    # The wall-clock backstop lifted: the deterministic work alone decides the plan, on
    # a loaded machine too.
    result = make_plan(problem, engine=engine, time_limit=1.0, backstop=100.0)
    assert verify_plan(problem, result) == []
    times = {p.id: (_minutes(p.start), _minutes(p.end)) for p in result.placements}
    return result, times


def _order(result: PlanResult) -> list[str]:
    return [p.id for p in result.placements]


def _reasons(result: PlanResult) -> dict[str, str]:
    return {r.id: r.reason for r in result.rejections}


# -- the guide's three-sequence cases ------------------------------------------------------

@pytest.mark.parametrize("engine", ENGINES)
def test_move_left(engine):
    """s2 can only run at T+10; s1, which would like T, must end a minute before it."""
    result, times = _plan([
        _sequence("s1", window=(-90, 25), preferred=0),
        _sequence("s2", window=(10, 31), preferred=10),
        _sequence("s3", window=(40, 120), preferred=60),
    ], engine)
    assert _order(result) == ["s1", "s2", "s3"]
    assert times["s2"][0] == pytest.approx(10.0, abs=0.2)
    assert times["s1"][1] <= times["s2"][0] - 1.0 + 1e-6  # moved left, by the overhead
    assert times["s1"][0] == pytest.approx(times["s2"][0] - 21.0, abs=1 / 60)
    assert times["s3"][0] == pytest.approx(60.0, abs=1 / 60)  # untouched


@pytest.mark.parametrize("engine", ENGINES)
def test_move_right(engine):
    """s1 can only run at T; s2, which would like T+10, starts a minute after it ends."""
    result, times = _plan([
        _sequence("s1", window=(0, 21), preferred=0),
        _sequence("s2", window=(5, 90), preferred=10),
        _sequence("s3", window=(40, 120), preferred=60),
    ], engine)
    assert _order(result) == ["s1", "s2", "s3"]
    assert times["s1"][0] == pytest.approx(0.0, abs=0.2)
    assert times["s2"][0] == pytest.approx(times["s1"][1] + 1.0, abs=1 / 60)
    assert times["s2"][0] > 10.0
    assert times["s3"][0] == pytest.approx(60.0, abs=1 / 60)


@pytest.mark.parametrize("engine", ENGINES)
def test_move_both(engine):
    """s1 (would like T) may move left by 7 minutes at most, s2 (would like T+10) right
    by 7 at most; they need 11 minutes more than they have: both move."""
    result, times = _plan([
        _sequence("s1", window=(-7, 40), preferred=0),
        _sequence("s2", window=(5, 37), preferred=10),
        _sequence("s3", window=(40, 120), preferred=60),
    ], engine)
    assert _order(result) == ["s1", "s2", "s3"]
    assert -7.0 < times["s1"][0] < 0.0
    assert 10.0 < times["s2"][0] < 17.0
    assert times["s2"][0] - times["s1"][1] == pytest.approx(1.0, abs=1 / 60)
    # the shift is shared with no waste: 11 minutes in all
    shift = (0.0 - times["s1"][0]) + (times["s2"][0] - 10.0)
    assert shift == pytest.approx(11.0, abs=2 / 60)
    assert times["s3"][0] == pytest.approx(60.0, abs=1 / 60)


@pytest.mark.parametrize("engine", ENGINES)
def test_priority(engine):
    """Two sequences that must both run in the same half hour: the higher priority wins,
    the other is left out and told why."""
    result, times = _plan([
        _sequence("low", window=(0, 30), preferred=0, priority=1),
        _sequence("high", window=(0, 30), preferred=0, priority=5),
    ], engine)
    assert _order(result) == ["high"]
    assert times["high"][0] == pytest.approx(0.0, abs=0.2)
    reason = _reasons(result)["low"]
    assert "no room" in reason and "higher priority" in reason


@pytest.mark.parametrize("engine", ENGINES)
def test_priority_overlap_shifts_the_lower_one_when_it_can(engine):
    result, times = _plan([
        _sequence("high", window=(-5, 25), preferred=0, priority=5),
        _sequence("low", window=(0, 60), preferred=10, priority=1),
    ], engine)
    assert _order(result) == ["high", "low"]
    assert times["low"][0] > 10.0  # later than it wanted
    assert times["low"][0] >= times["high"][1] + 1.0 - 1e-6
    assert result.rejections == []


@pytest.mark.parametrize("engine", ENGINES)
def test_priority_overlap_keeps_the_higher_one_where_it_wants(engine):
    """Placement weighs each shift by the priority: moving 'high' 4.8 min early and
    'low' 6.2 min late would cost more than moving 'low' alone by 11."""
    _, times = _plan([
        _sequence("high", window=(-5, 25), preferred=0, priority=5),
        _sequence("low", window=(0, 60), preferred=10, priority=1),
    ], engine)
    assert times["high"][0] == pytest.approx(0.0, abs=0.2)
    assert times["low"][0] == pytest.approx(21.0, abs=0.2)


@pytest.mark.parametrize("engine", ENGINES)
def test_priority_overlap_rejects_the_lower_one_when_it_cannot_move(engine):
    result, times = _plan([
        _sequence("high", window=(-5, 25), preferred=0, priority=5),
        _sequence("low", window=(0, 35), preferred=10, priority=1),
    ], engine)
    assert _order(result) == ["high"]
    assert times["high"][0] == pytest.approx(0.0, abs=0.2)
    assert "higher priority" in _reasons(result)["low"]


# -- successive re-planning -------------------------------------------------------------

def _first_three() -> list[SequenceToPlan]:
    return [
        _sequence("a", window=(-120, 0), ra=_meridian_ra(-60), priority=3),
        _sequence("b", window=(0, 60), priority=3),
        _sequence("c", window=(100, 125), ra=_meridian_ra(110), priority=2),
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_replanning_keeps_what_still_fits(engine):
    first, _ = _plan(_first_three(), engine)
    assert sorted(_order(first)) == ["a", "b", "c"]
    added = [_sequence("d", window=(-60, 60), priority=3, minutes=30),
             _sequence("e", window=(60, 180), ra=_meridian_ra(120), priority=1)]
    second, times = _plan(_first_three() + added, engine)
    assert sorted(_order(second)) == ["a", "b", "c", "d", "e"]
    assert second.rejections == []
    # c's window leaves it no choice: it stays where it was
    assert times["c"][0] == pytest.approx(
        _minutes(next(p.start for p in first.placements if p.id == "c")), abs=0.2)


@pytest.mark.parametrize("engine", ENGINES)
def test_replanning_with_a_higher_priority_conflict_displaces_the_lower(engine):
    added = [_sequence("d", window=(-60, 60), priority=3, minutes=30),
             _sequence("e", window=(60, 180), ra=_meridian_ra(120), priority=1)]
    urgent = _sequence("alert", window=(100, 125), ra=_meridian_ra(110), priority=9)
    result, times = _plan(_first_three() + added + [urgent], engine)
    assert sorted(_order(result)) == ["a", "alert", "b", "d", "e"]
    assert times["alert"][0] == pytest.approx(102.5, abs=2.5)
    assert "higher priority" in _reasons(result)["c"]


# -- placement preferences --------------------------------------------------------------

def _altitudes(ra: float, dec: float, moments: list[datetime]) -> np.ndarray:
    frame = AltAz(obstime=Time(moments), location=WHERE)
    return SkyCoord(ra=ra * u.deg, dec=dec * u.deg).transform_to(frame).alt.deg


@pytest.mark.parametrize("engine", ENGINES)
def test_immediate_starts_at_dusk(engine):
    sky = night_sky(SITE, NIGHT)
    dusk = sky.at(sky.dark_seconds[0])
    result, _ = _plan([
        _sequence("later", ra=_meridian_ra(120)),  # BESTELEV, best two hours after T
        _sequence("now", obs_type=ObservationType.IMMEDIATE),
    ], engine)
    assert _order(result) == ["now", "later"]
    start = next(p.start for p in result.placements if p.id == "now")
    assert dusk <= start <= dusk + 15 * SECOND


@pytest.mark.parametrize("engine", ENGINES)
def test_immediate_goes_first_even_before_a_target_that_sets_sooner(engine):
    """The greedy starts first the target that sets first; the IMMEDIATE one must still
    be moved ahead of it, and the other then runs at its best."""
    sky = night_sky(SITE, NIGHT)
    dusk = sky.at(sky.dark_seconds[0])
    result, times = _plan([
        _sequence("later", ra=_meridian_ra(-120)),  # BESTELEV, best two hours before T
        _sequence("now", obs_type=ObservationType.IMMEDIATE),
    ], engine)
    assert _order(result) == ["now", "later"]
    start = next(p.start for p in result.placements if p.id == "now")
    assert dusk <= start <= dusk + 15 * SECOND
    assert abs(sum(times["later"]) / 2 - (-120.0)) <= 30.0


@pytest.mark.parametrize("engine", ENGINES)
def test_immediate_starts_when_the_target_comes_within_its_airmass(engine):
    ra, dec = _meridian_ra(-60), 0.0  # rises through airmass 1.5 around T-3h
    result, _ = _plan([_sequence("now", ra=ra, dec=dec, max_airmass=1.5,
                                 obs_type=ObservationType.IMMEDIATE)], engine)
    [placement] = result.placements
    limit = airmass_altitude(1.5)
    before, at_start = _altitudes(ra, dec, [placement.start - timedelta(minutes=1),
                                            placement.start])
    assert before < limit <= at_start + 0.05


@pytest.mark.parametrize("engine", ENGINES)
def test_bestelev_runs_across_the_highest_point(engine):
    transits = {"early": -180.0, "midnight": 0.0, "late": 180.0}
    sequences = [_sequence(name, ra=_meridian_ra(minutes), dec=10.0, minutes=30.0)
                 for name, minutes in transits.items()]
    result, times = _plan(sequences, engine)
    assert _order(result) == ["early", "midnight", "late"]
    for name, minutes in transits.items():
        start, end = times[name]
        # the highest point, from astropy, every minute within 3 h of the expected one
        grid = [_at(minutes + k) for k in range(-180, 181)]
        highest = minutes - 180 + int(np.argmax(_altitudes(_meridian_ra(minutes), 10.0,
                                                           grid)))
        assert abs((start + end) / 2 - highest) <= 30.0, name


def _transit_offsets(result: PlanResult) -> dict[str, float]:
    """Minutes from each sequence's middle to its transit (its id is ``t<minutes>``)."""
    return {p.id: (_minutes(p.start) + _minutes(p.end)) / 2 - float(p.id[1:])
            for p in result.placements}


TRANSITS = [-300, -200, -100, 0, 100, 200, 300]  # minutes from T, 100 minutes apart


@pytest.mark.parametrize("engine", ENGINES)
def test_bestelev_targets_across_a_free_night_each_run_at_their_best(engine):
    sequences = [_sequence(f"t{m}", ra=_meridian_ra(m), dec=10.0, minutes=30.0)
                 for m in TRANSITS]
    result, _ = _plan(sequences, engine)
    assert _order(result) == [f"t{m}" for m in TRANSITS]
    offsets = _transit_offsets(result)
    assert max(abs(v) for v in offsets.values()) <= 5.0, offsets


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("variant", ["priorities", "reversed"])
def test_bestelev_order_follows_the_sky_not_the_priorities(engine, variant):
    """The engines choose the sequences in an order of their own (the greedy by worth
    per second from dusk); the plan must still run them in the sky's order."""
    order = TRANSITS[::-1] if variant == "reversed" else TRANSITS
    sequences = [_sequence(f"t{m}", ra=_meridian_ra(m), dec=10.0, minutes=30.0,
                           priority=1 + i % 5 if variant == "priorities" else 5)
                 for i, m in enumerate(order)]
    result, _ = _plan(sequences, engine)
    assert _order(result) == [f"t{m}" for m in TRANSITS]
    offsets = _transit_offsets(result)
    assert max(abs(v) for v in offsets.values()) <= 5.0, offsets


@pytest.mark.parametrize("engine", ENGINES)
def test_a_preferred_time_inside_the_observable_time_is_kept(engine):
    _, times = _plan([_sequence("p", preferred=-47.5)], engine)
    assert times["p"][0] == pytest.approx(-47.5, abs=1 / 60)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_preferred_time_before_the_night_goes_to_dusk(engine):
    sky = night_sky(SITE, NIGHT)
    dusk = _minutes(sky.at(sky.dark_seconds[0]))
    _, times = _plan([_sequence("p", preferred=dusk - 120.0)], engine)
    assert dusk <= times["p"][0] <= dusk + 0.5


# A pillar 70° high between azimuths 170° and 190° hides a target of dec 0° (culminating
# at 59°) around its transit at T: it is observable in two intervals, before and after.
PILLAR = SiteSpec(latitude=SITE.latitude, longitude=SITE.longitude,
                  elevation=SITE.elevation,
                  horizon=((0.0, 0.0), (150.0, 0.0), (170.0, 70.0), (190.0, 70.0),
                           (210.0, 0.0)))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("preferred", "side"), [(-25.0, "before"), (10.0, "after")])
def test_a_preferred_time_goes_to_the_nearest_interval(engine, preferred, side):
    sky = night_sky(PILLAR, NIGHT)
    ra, dec = _meridian_ra(), 0.0
    _, times = _plan([_sequence("p", ra=ra, dec=dec, preferred=preferred)], engine,
                     site=PILLAR)
    start, end = times["p"]
    # where the pillar hides it, from astropy every minute around the transit
    grid = [_at(k) for k in range(-60, 61)]
    frame = AltAz(obstime=Time(grid), location=WHERE)
    az = SkyCoord(ra=ra * u.deg, dec=dec * u.deg).transform_to(frame).az.deg
    alt = SkyCoord(ra=ra * u.deg, dec=dec * u.deg).transform_to(frame).alt.deg
    profile = np.interp(az, [0.0, 150.0, 170.0, 190.0, 210.0], [0.0, 0.0, 70.0, 70.0, 0.0],
                        period=360.0)
    hidden = [k for k, a, h in zip(range(-60, 61), alt, profile, strict=True) if a < h]
    assert hidden and min(hidden) < 0 < max(hidden)
    if side == "before":
        assert end <= min(hidden)
        assert end == pytest.approx(min(hidden), abs=3.0)  # as late as it can
    else:
        assert start >= max(hidden)
        assert start == pytest.approx(max(hidden), abs=3.0)  # as early as it can
    assert sky.has_dark_time
