"""An independent check of a plan, for the tests and the benchmark.

The planner evaluates the sky with its own fast approximations (:mod:`.sky`) on a
5-minute grid and interpolates between instants; a bug there would go unnoticed if the
tests judged plans with the same code. So this module shares nothing with
:mod:`.sky` or :mod:`.visibility`: every planned sequence is sampled every ``step``
seconds, from its start to its end inclusive, through astropy's full ICRS → AltAz and
HADec transformations at the site, with astropy's own sun and (topocentric) moon. The
tolerances are what the planner's documented approximations may cost (an arcminute in
position, a second of rounding in time), far below anything an observer would notice.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from astropy import units as u
from astropy.coordinates import AltAz, HADec, SkyCoord, angular_separation, get_body
from astropy.time import Time

from pyros.astro import location  # also keeps astropy from downloading IERS tables
from pyros.scheduling.problem import (
    Placement,
    PlanResult,
    Problem,
    SequenceToPlan,
    airmass_altitude,
)

TIME_TOLERANCE = 1.0  # seconds: the engines work in whole seconds
ALTITUDE_TOLERANCE = 0.05  # degrees
AIRMASS_TOLERANCE = 0.01
MOON_TOLERANCE = 0.1  # degrees


def objective_of(problem: Problem, placements: Iterable[Placement]) -> float:
    """Priority times duration summed over the planned sequences, from the problem's own
    numbers (not the engine's report of them); ids the problem does not know count 0."""
    sequences = {s.id: s for s in problem.sequences}
    return float(sum(sequences[p.id].weight for p in placements if p.id in sequences))


def verify_plan(problem: Problem, result: PlanResult, *, step: float = 60.0) -> list[str]:
    """Every way ``result`` breaks the rules of ``problem``, in words; empty when valid."""
    sequences = {s.id: s for s in problem.sequences}
    violations: list[str] = []
    violations += _bookkeeping(problem, result, sequences)
    known = [p for p in result.placements if p.id in sequences]
    violations += _timing(problem, result.placements, sequences)
    violations += _quotas(problem, known, sequences)
    # A fixed entry is already running: whether it should have been is not this plan's.
    fixed = {f.id for f in problem.fixed}
    violations += _sky(problem, [p for p in known if p.id not in fixed], sequences, step)
    return violations


def _bookkeeping(problem: Problem, result: PlanResult,
                 sequences: dict[str, SequenceToPlan]) -> list[str]:
    """Each sequence accounted for exactly once: planned, or rejected with a reason."""
    out: list[str] = []
    planned = Counter(p.id for p in result.placements)
    rejected = Counter(r.id for r in result.rejections)
    fixed = {f.id for f in problem.fixed}
    for id_, count in planned.items():
        if id_ not in sequences and id_ not in fixed:
            out.append(f"{id_}: planned but not in the problem")
        if count > 1:
            out.append(f"{id_}: planned {count} times")
        if id_ in rejected:
            out.append(f"{id_}: both planned and rejected")
    for id_, count in rejected.items():
        if id_ not in sequences:
            out.append(f"{id_}: rejected but not in the problem")
        if count > 1:
            out.append(f"{id_}: rejected {count} times")
    for rejection in result.rejections:
        if not rejection.reason.strip():
            out.append(f"{rejection.id}: rejected without a reason")
    for id_ in sequences:
        if id_ not in planned and id_ not in rejected and id_ not in fixed:
            out.append(f"{id_}: neither planned nor rejected")
    return out


@dataclass(frozen=True)
class _Busy:
    """A stretch of telescope time: a placement, or a fixed entry (whose target may be
    unknown, so only the least overhead can be asked around it)."""

    id: str
    start: datetime
    end: datetime
    sequence: SequenceToPlan | None


def _timing(problem: Problem, placements: list[Placement],
            sequences: dict[str, SequenceToPlan]) -> list[str]:
    out: list[str] = []
    tolerance = timedelta(seconds=TIME_TOLERANCE)
    starts = [p.start for p in placements]
    if starts != sorted(starts):
        out.append("the placements are not in time order")
    fixed = {f.id: f for f in problem.fixed}
    busy = [_Busy(f.id, f.start, f.end, sequences.get(f.id)) for f in problem.fixed]
    for p in placements:
        sequence = sequences.get(p.id)
        if p.id in fixed:
            entry = fixed[p.id]
            if abs(p.start - entry.start) > tolerance or abs(p.end - entry.end) > tolerance:
                out.append(f"{p.id}: fixed at {_hm(entry.start)} to {_hm(entry.end)} but "
                           f"planned at {_hm(p.start)} to {_hm(p.end)}")
            continue
        if sequence is None:
            continue
        busy.append(_Busy(p.id, p.start, p.end, sequence))
        length = (p.end - p.start).total_seconds()
        if abs(length - sequence.duration) > TIME_TOLERANCE:
            out.append(f"{p.id}: lasts {length:.0f} s, its duration is "
                       f"{sequence.duration:.0f} s")
        if sequence.window is not None:
            lo, hi = sequence.window
            if p.start < lo - tolerance or p.end > hi + tolerance:
                out.append(f"{p.id}: planned {_hm(p.start)} to {_hm(p.end)}, outside its "
                           f"window {_hm(lo)} to {_hm(hi)}")
        if problem.not_before is not None and p.start < problem.not_before - tolerance:
            out.append(f"{p.id}: starts at {_hm(p.start)}, before {_hm(problem.not_before)}")
    busy.sort(key=lambda b: b.start)
    for before, after in itertools.pairwise(busy):
        if before.sequence is not None and after.sequence is not None:
            needed = problem.overheads.between(before.sequence, after.sequence)
        else:
            needed = problem.overheads.least
        gap = (after.start - before.end).total_seconds()
        if gap < 0:
            out.append(f"{before.id} and {after.id} overlap by {-gap:.0f} s")
        elif gap < needed - TIME_TOLERANCE:
            out.append(f"{before.id} → {after.id}: {gap:.0f} s between them, the overhead "
                       f"needs {needed:.0f} s")
    return out


def _quotas(problem: Problem, placements: list[Placement],
            sequences: dict[str, SequenceToPlan]) -> list[str]:
    used: dict[str, float] = defaultdict(float)
    for p in placements:
        program = sequences[p.id].program
        if program is not None:
            used[program] += sequences[p.id].duration
    return [f"program {program}: {seconds:.0f} s planned, {problem.quotas[program]:.0f} s "
            f"of quota left" for program, seconds in sorted(used.items())
            if program in problem.quotas and seconds > problem.quotas[program] + 1e-6]


def _samples(start: datetime, end: datetime, step: float) -> list[float]:
    """Seconds from the start: every ``step``, and the end itself."""
    length = (end - start).total_seconds()
    offsets = list(np.arange(0.0, length, step))
    return [*offsets, length]


def _sky(problem: Problem, placements: list[Placement],
         sequences: dict[str, SequenceToPlan], step: float) -> list[str]:
    """The observing constraints at every sampled instant of every placement, with one
    vectorised astropy transformation for the whole plan."""
    if not placements:
        return []
    owners: list[int] = []
    times: list[datetime] = []
    for k, p in enumerate(placements):
        for offset in _samples(p.start, p.end, step):
            owners.append(k)
            times.append(p.start + timedelta(seconds=float(offset)))
    index = np.array(owners)
    site = problem.site
    where = location(site.latitude, site.longitude, site.elevation)
    when = Time(times)
    targets = [sequences[p.id] for p in placements]
    ra = np.array([s.ra for s in targets])[index]
    dec = np.array([s.dec for s in targets])[index]
    target = SkyCoord(ra=ra * u.deg, dec=dec * u.deg, frame="icrs")
    frame = AltAz(obstime=when, location=where)
    horizontal = target.transform_to(frame)
    alt = horizontal.alt.deg
    az = horizontal.az.deg
    sun_alt = get_body("sun", when).transform_to(frame).alt.deg
    hour_angle = None
    if site.max_hour_angle is not None:
        hadec = target.transform_to(HADec(obstime=when, location=where))
        hour_angle = hadec.ha.wrap_at(12 * u.hourangle).hour
    separation = None
    if any(s.min_moon_separation for s in targets):
        moon = get_body("moon", when, location=where).transform_to(frame)
        separation = np.degrees(angular_separation(
            np.radians(az), np.radians(alt), moon.az.rad, moon.alt.rad))
    horizon = _horizon(site.horizon, az)

    out: list[str] = []
    for k, (p, sequence) in enumerate(zip(placements, targets, strict=True)):
        mask = index == k
        moments = [t for t, owner in zip(times, owners, strict=True) if owner == k]
        checks = _limits(problem, sequence, alt[mask], horizon[mask], sun_alt[mask],
                         None if hour_angle is None else hour_angle[mask],
                         None if separation is None else separation[mask])
        for message, bad in checks:
            if bad.any():
                first = int(np.argmax(bad))
                out.append(f"{p.id}: {message[first]} at {_hm(moments[first])} "
                           f"({int(bad.sum())} of {len(bad)} samples)")
    return out


def _limits(problem: Problem, sequence: SequenceToPlan, alt: np.ndarray, horizon: np.ndarray,
            sun_alt: np.ndarray, hour_angle: np.ndarray | None,
            separation: np.ndarray | None) -> list[tuple[list[str], np.ndarray]]:
    """Per constraint: the message at each sample, and where the sample breaks it."""
    site = problem.site
    checks: list[tuple[list[str], np.ndarray]] = []
    night = site.night_sun_altitude
    checks.append(([f"the sun is at {a:.2f}° (night below {night:g}°)" for a in sun_alt],
                   sun_alt > night + ALTITUDE_TOLERANCE))
    floors = [(site.min_altitude, "the site's lowest altitude")]
    if sequence.min_altitude is not None:
        floors.append((sequence.min_altitude, "its minimum altitude"))
    for floor, name in floors:
        checks.append(([f"altitude {a:.2f}° below {name} {floor:g}°" for a in alt],
                       alt < floor - ALTITUDE_TOLERANCE))
    checks.append(([f"altitude {a:.2f}° below the horizon profile ({h:.2f}°)"
                    for a, h in zip(alt, horizon, strict=True)],
                   alt < horizon - ALTITUDE_TOLERANCE))
    if sequence.max_airmass is not None:
        with np.errstate(divide="ignore"):
            airmass = np.where(alt > 0, 1.0 / np.sin(np.radians(alt)), np.inf)
        limit = sequence.max_airmass
        checks.append(([f"airmass {x:.3f} above {limit:g}" for x in airmass],
                       (airmass > limit + AIRMASS_TOLERANCE)
                       & (alt < airmass_altitude(limit) - ALTITUDE_TOLERANCE)))
    if hour_angle is not None and site.max_hour_angle is not None:
        most = site.max_hour_angle
        checks.append(([f"hour angle {h:+.3f} h beyond ±{most:g} h" for h in hour_angle],
                       np.abs(hour_angle) > most + ALTITUDE_TOLERANCE / 15.0))
    if separation is not None and sequence.min_moon_separation:
        least = sequence.min_moon_separation
        checks.append(([f"{d:.2f}° from the moon (at least {least:g}°)" for d in separation],
                       separation < least - MOON_TOLERANCE))
    return checks


def _horizon(profile: tuple[tuple[float, float], ...], azimuth: np.ndarray) -> np.ndarray:
    if not profile:
        return np.full_like(azimuth, -90.0)
    points = sorted(profile)
    return np.interp(azimuth, [a for a, _ in points], [h for _, h in points], period=360.0)


def _hm(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")
