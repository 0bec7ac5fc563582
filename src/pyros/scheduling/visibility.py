"""When, tonight, each sequence may run: the intervals in which its target is observable
(dark, high enough above the horizon profile and the airmass limit, inside the mount's
hour-angle limit, far enough from the moon) and which lie inside its window.

All targets are evaluated at once on the night's grid (:mod:`pyros.scheduling.sky`);
where a constraint's margin changes sign between two instants of the grid, the crossing
is found by bisection on the exact margin, for all targets at once (a horizon profile
has corners, so interpolating the margin could miss a crossing by minutes), then moved
inwards by :data:`SAFETY` seconds. What the grid cannot see is a target dipping behind a
narrow horizon feature and out again within one grid step (5 minutes). A sequence whose
target is never observable long enough gets the reason, in words an astronomer can act
on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pyros.scheduling.problem import SequenceToPlan, airmass_altitude
from pyros.scheduling.sky import GRID_STEP, NightSky

SAFETY = 10.0  # seconds taken off each end of an observable interval
BISECTIONS = 12  # halvings of a grid step: 300 s / 4096, well under a second
NO_LIMIT = -1e9

Intervals = list[tuple[float, float]]


@dataclass(frozen=True)
class Visibility:
    """For one sequence: the intervals (seconds after the night's noon) in which it may
    be executing, or why there are none long enough."""

    intervals: Intervals
    reason: str = ""
    highest: float | None = None  # when, inside the intervals, the target is highest


def _runs(margin: np.ndarray, seconds: np.ndarray, crossings: np.ndarray) -> Intervals:
    """Intervals where ``margin`` ≥ 0; an end is ``crossings[k]``, the exact crossing
    between instants k and k+1."""
    good = margin >= 0.0
    if not good.any():
        return []
    edges = np.flatnonzero(np.diff(good.astype(np.int8)))
    runs: Intervals = []
    start = seconds[0] if good[0] else None
    for k in edges:
        crossing = float(crossings[k])
        if good[k]:  # going bad
            runs.append((start, crossing))
            start = None
        else:
            start = crossing
    if start is not None:
        runs.append((start, seconds[-1]))
    return runs


def _intersect(a: Intervals, lo: float, hi: float) -> Intervals:
    return [(max(s, lo), min(e, hi)) for s, e in a if min(e, hi) > max(s, lo)]


def _longest(intervals: Intervals) -> float:
    return max((e - s for s, e in intervals), default=0.0)


def _minutes(seconds: float) -> str:
    return f"{seconds / 60.0:.0f} min"


class VisibilityCalculator:
    """Observable intervals for many sequences of one night, sharing the sky."""

    def __init__(self, sky: NightSky, *, not_before: float | None = None) -> None:
        self.sky = sky
        dark_start, dark_end = sky.dark_seconds
        if not_before is not None:
            dark_start = max(dark_start, not_before)
        self.dark = (dark_start, dark_end)
        # Grid columns covering the dark time (and one step beyond each end).
        first = max(0, math.floor(dark_start / GRID_STEP) - 1)
        last = min(len(sky.seconds) - 1, math.ceil(dark_end / GRID_STEP) + 1)
        self.columns = slice(first, last + 1)
        self.seconds = sky.seconds[self.columns]

    def compute(self, sequences: list[SequenceToPlan]) -> list[Visibility]:
        if not sequences:
            return []
        dark_start, dark_end = self.dark
        if dark_end - dark_start <= 0:
            reason = ("no dark time left tonight" if self.sky.has_dark_time
                      else "the sun never goes below "
                           f"{self.sky.site.night_sun_altitude:g}° tonight")
            return [Visibility([], reason) for _ in sequences]
        site = self.sky.site
        ra = np.array([s.ra for s in sequences])
        dec = np.array([s.dec for s in sequences])
        alt, az, ha = self.sky.altaz(ra, dec, columns=self.columns)
        horizon = self.sky.horizon_altitude(az)
        floors = np.array([max(site.min_altitude,
                               s.min_altitude if s.min_altitude is not None else NO_LIMIT,
                               airmass_altitude(s.max_airmass) if s.max_airmass else NO_LIMIT)
                           for s in sequences])
        altitude_margin = alt - np.maximum(horizon, floors[:, None])
        if site.max_hour_angle is not None:
            ha_margin = (site.max_hour_angle - np.abs(ha)) * 15.0
            altitude_margin = np.minimum(altitude_margin, ha_margin)
        moon_limits = np.array([s.min_moon_separation or 0.0 for s in sequences])
        moon_margin = None
        if (moon_limits > 0).any():
            separation = self.sky.moon_separation(ra, dec, columns=self.columns)
            moon_margin = separation - moon_limits[:, None]
        def altitude_margin_at(rows: np.ndarray, t: np.ndarray) -> np.ndarray:
            alt_t, az_t, ha_t = self.sky.altaz_at(ra[rows], dec[rows], t)
            margin = alt_t - np.maximum(self.sky.horizon_altitude(az_t), floors[rows])
            if site.max_hour_angle is not None:
                margin = np.minimum(margin, (site.max_hour_angle - np.abs(ha_t)) * 15.0)
            return margin

        altitude_crossings = self._refine(altitude_margin, altitude_margin_at)
        moon_crossings = None
        if moon_margin is not None:
            moon_crossings = self._refine(moon_margin, lambda rows, t: (
                self.sky.moon_separation_at(ra[rows], dec[rows], t) - moon_limits[rows]))
        results = []
        for i, sequence in enumerate(sequences):
            moon_here = moon_margin is not None and moon_limits[i] > 0
            visibility = self._one(sequence, altitude_margin[i], altitude_crossings[i],
                                   moon_margin[i] if moon_here else None,
                                   moon_crossings[i] if moon_here else None, floors[i])
            if visibility.intervals:
                visibility = Visibility(visibility.intervals,
                                        highest=self._highest(alt[i], visibility.intervals))
            results.append(visibility)
        return results

    def _highest(self, altitude: np.ndarray, intervals: Intervals) -> float:
        """The instant of the grid, inside the intervals, where the altitude peaks (an
        interval's end when the grid has no instant inside it)."""
        inside = np.zeros(len(self.seconds), dtype=bool)
        for s, e in intervals:
            inside |= (self.seconds >= s) & (self.seconds <= e)
        if not inside.any():
            s, e = max(intervals, key=lambda iv: iv[1] - iv[0])
            return (s + e) / 2.0
        masked = np.where(inside, altitude, -np.inf)
        return float(self.seconds[int(np.argmax(masked))])

    def _refine(self, margin: np.ndarray, exact) -> np.ndarray:
        """The instant each margin changes sign between two instants of the grid, found
        by bisection on the exact margin (``exact(rows, seconds)``), for every target at
        once: the grid only says between which instants it happens. NaN elsewhere."""
        good = margin >= 0.0
        rows, columns = np.nonzero(good[:, :-1] != good[:, 1:])
        crossings = np.full((margin.shape[0], margin.shape[1] - 1), np.nan)
        if len(rows) == 0:
            return crossings
        lo, hi = self.seconds[columns].astype(float), self.seconds[columns + 1].astype(float)
        good_at_lo = good[rows, columns]
        for _ in range(BISECTIONS):
            middle = (lo + hi) / 2.0
            same = (exact(rows, middle) >= 0.0) == good_at_lo
            lo = np.where(same, middle, lo)
            hi = np.where(same, hi, middle)
        # The good side of the bracket: never a bad instant counted as good.
        crossings[rows, columns] = np.where(good_at_lo, lo, hi)
        return crossings

    def _one(self, sequence: SequenceToPlan, altitude_margin: np.ndarray,
             altitude_crossings: np.ndarray, moon_margin: np.ndarray | None,
             moon_crossings: np.ndarray | None, floor: float) -> Visibility:
        dark_start, dark_end = self.dark
        lo, hi = dark_start, dark_end
        exact_lo = exact_hi = False  # an end that is the window's, not the sky's
        if sequence.window is not None:
            window_lo = self.sky.seconds_of(sequence.window[0])
            window_hi = self.sky.seconds_of(sequence.window[1])
            exact_lo, exact_hi = window_lo >= dark_start, window_hi <= dark_end
            lo, hi = max(lo, window_lo), min(hi, window_hi)
            if hi - lo < sequence.duration:
                return Visibility([], self._window_reason(sequence, lo, hi))
        elif hi - lo < sequence.duration:
            return Visibility([], f"the dark time left tonight ({_minutes(hi - lo)}) is "
                                  f"shorter than its {_minutes(sequence.duration)}")
        def shrink(intervals: Intervals) -> Intervals:
            """Ends found on the sky move inwards by SAFETY; a window's ends are exact."""
            moved = [(s if exact_lo and s == lo else s + SAFETY,
                      e if exact_hi and e == hi else e - SAFETY) for s, e in intervals]
            return [(s, e) for s, e in moved if e > s]

        high_enough = _intersect(_runs(altitude_margin, self.seconds, altitude_crossings),
                                 lo, hi)
        if _longest(shrink(high_enough)) < sequence.duration:
            limits = []
            if sequence.max_airmass:
                limits.append(f"airmass {sequence.max_airmass:g}")
            limits.append(f"{max(floor, 0.0):.0f}° altitude and the horizon profile")
            if self.sky.site.max_hour_angle is not None:
                limits.append(f"the mount's ±{self.sky.site.max_hour_angle:g} h hour angle")
            seen = _longest(high_enough)
            if seen < 60.0:
                return Visibility([], (
                    f"never observable (within {', '.join(limits)}) during tonight's dark "
                    f"time{' inside its window' if sequence.window else ''}"))
            return Visibility([], (
                f"observable (within {', '.join(limits)}) for at most {_minutes(seen)} "
                f"at a time tonight{' inside its window' if sequence.window else ''}; "
                f"it needs {_minutes(sequence.duration)}"))
        observable = high_enough
        if moon_margin is not None:
            far_enough = _runs(moon_margin, self.seconds, moon_crossings)
            observable = [piece for s, e in high_enough for piece in _intersect(far_enough, s, e)]
            if _longest(shrink(observable)) < sequence.duration:
                return Visibility([], (
                    f"closer than {sequence.min_moon_separation:g}° to the moon while it "
                    f"is observable tonight (at least {_minutes(sequence.duration)} needed)"))
        return Visibility([(s, e) for s, e in shrink(observable) if e - s >= sequence.duration])

    def _window_reason(self, sequence: SequenceToPlan, lo: float, hi: float) -> str:
        assert sequence.window is not None
        start, end = (w.strftime("%Y-%m-%d %H:%M") for w in sequence.window)
        dark = " – ".join(self.sky.at(s).strftime("%H:%M") for s in self.dark)
        if hi <= lo:
            return f"its window {start} – {end} UTC is outside tonight's dark time ({dark} UTC)"
        return (f"its window {start} – {end} UTC leaves {_minutes(hi - lo)} of tonight's "
                f"dark time ({dark} UTC); it needs {_minutes(sequence.duration)}")
