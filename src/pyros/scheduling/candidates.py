"""The engines' view of a problem: each plannable sequence as integers (seconds after the
night's noon) — the intervals in which it may *start*, its length, its worth and the
start it would like best — and every other sequence with the reason it cannot be
planned at all tonight."""

from __future__ import annotations

import math
from dataclasses import dataclass

from pyros.scheduling.problem import ObservationType, Problem, Rejection, SequenceToPlan
from pyros.scheduling.sky import NightSky, night_sky
from pyros.scheduling.visibility import VisibilityCalculator

Starts = list[tuple[int, int]]  # closed intervals of allowed start times


@dataclass
class Candidate:
    index: int  # position in Problem.sequences
    sequence: SequenceToPlan
    duration: int
    starts: Starts
    preferred_start: int  # where placement pulls it (best altitude, earliest, preferred)
    weight: int  # priority × duration: its worth in the objective
    program: str | None

    @property
    def id(self) -> str:
        return self.sequence.id

    @property
    def earliest(self) -> int:
        return self.starts[0][0]

    @property
    def latest(self) -> int:
        return self.starts[-1][1]

    def first_start_from(self, moment: int) -> int | None:
        """The earliest allowed start at or after ``moment``."""
        for lo, hi in self.starts:
            if hi >= moment:
                return max(lo, moment)
        return None

    def nearest_start(self, moment: int) -> int:
        best, distance = self.starts[0][0], math.inf
        for lo, hi in self.starts:
            here = min(max(moment, lo), hi)
            if abs(here - moment) < distance:
                best, distance = here, abs(here - moment)
        return best

    def allows(self, start: int) -> bool:
        return any(lo <= start <= hi for lo, hi in self.starts)


@dataclass
class Candidates:
    sky: NightSky
    items: list[Candidate]
    rejections: list[Rejection]
    horizon: tuple[int, int]  # the dark time the engines may use


def _subtract(starts: Starts, lo: int, hi: int) -> Starts:
    """Remove the open interval (lo, hi) from closed start intervals."""
    out: Starts = []
    for s, e in starts:
        if e <= lo or s >= hi:
            out.append((s, e))
            continue
        if s <= lo:
            out.append((s, lo))
        if e >= hi:
            out.append((hi, e))
    return out


def build_candidates(problem: Problem) -> Candidates:
    sky = night_sky(problem.site, problem.night)
    not_before = sky.seconds_of(problem.not_before) if problem.not_before else None
    calculator = VisibilityCalculator(sky, not_before=not_before)
    visibilities = calculator.compute(problem.sequences)
    fixed_ids = {f.id for f in problem.fixed}
    blocked = [(math.floor(sky.seconds_of(f.start)), math.ceil(sky.seconds_of(f.end)))
               for f in problem.fixed]
    gap = math.ceil(problem.overheads.most)
    items: list[Candidate] = []
    rejections: list[Rejection] = []
    for index, (sequence, visibility) in enumerate(zip(problem.sequences, visibilities,
                                                       strict=True)):
        if sequence.id in fixed_ids:
            continue
        if sequence.program and sequence.program in problem.quotas \
                and problem.quotas[sequence.program] < sequence.duration:
            rejections.append(Rejection(sequence.id, quota_reason(
                sequence.program, problem.quotas[sequence.program], sequence.duration)))
            continue
        if not visibility.intervals:
            rejections.append(Rejection(sequence.id, visibility.reason))
            continue
        duration = math.ceil(sequence.duration)
        starts = [(math.ceil(s), math.floor(e) - duration) for s, e in visibility.intervals]
        starts = [(s, e) for s, e in starts if e >= s]
        for lo, hi in blocked:
            starts = _subtract(starts, lo - duration - gap, hi + gap)
        if not starts:
            rejections.append(Rejection(sequence.id, (
                "observable tonight only while the sequences already executing or about "
                "to start occupy the telescope")))
            continue
        candidate = Candidate(index=index, sequence=sequence, duration=duration, starts=starts,
                              preferred_start=0, weight=round(sequence.priority * duration),
                              program=sequence.program)
        candidate.preferred_start = _preferred_start(candidate, visibility.highest, sky)
        items.append(candidate)
    horizon = (math.floor(calculator.dark[0]), math.ceil(calculator.dark[1]))
    return Candidates(sky=sky, items=items, rejections=rejections, horizon=horizon)


def quota_reason(program: str, left: float, duration: float) -> str:
    """Why a sequence is left out for its program's time: used up, or not enough for
    the whole sequence (a sequence is planned only when its program can pay all of it)."""
    if left <= 0:
        return (f"program {program}'s time is used up for this period (0 h left); "
                "it is planned again when the program is given more time")
    return (f"program {program} has {left / 3600:.2f} h of time left; this sequence "
            f"needs {duration / 3600:.2f} h")


def _preferred_start(candidate: Candidate, highest: float | None, sky: NightSky) -> int:
    sequence = candidate.sequence
    if sequence.preferred is not None:
        return candidate.nearest_start(round(sky.seconds_of(sequence.preferred)))
    if sequence.obs_type == ObservationType.IMMEDIATE or highest is None:
        return candidate.earliest
    return candidate.nearest_start(round(highest - candidate.duration / 2))
