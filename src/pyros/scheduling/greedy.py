"""The fast engine: a forward greedy over the night, vectorised over the candidates, in
its pilot (look-ahead) version.

From dusk on, the greedy repeatedly starts the sequence that gives the most objective
per second of telescope time it consumes (its own duration plus the wait before it);
among near-equals, the one whose last allowed start comes soonest, so that a target
about to set is not lost to one that will still be up later. A plan of 1000 candidates
takes a millisecond or two.

The pilot method (Duin & Voß) looks further: at each step it tries the few best-scored
choices, completes the night greedily after each, and keeps the choice whose completed
night is worth the most. Some tens of greedy runs, so tens of milliseconds, for plans a
few percent better: the first valid plan, and the optimiser's starting point.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pyros.scheduling.candidates import Candidate
from pyros.scheduling.problem import Overheads
from pyros.scheduling.timeline import Slot

URGENCY_HORIZON = 3600.0  # seconds of slack under which a candidate counts as urgent
URGENCY_WEIGHT = 0.05  # how much urgency may outweigh the objective per second
PILOT_WIDTH = 4  # choices tried at each step of the pilot method
NEVER = np.iinfo(np.int64).max // 8


class _Arrays:
    """The candidates' starts, durations and positions as arrays."""

    def __init__(self, items: list[Candidate], overheads: Overheads,
                 quotas: dict[str, float]) -> None:
        width = max(len(c.starts) for c in items)
        n = len(items)
        self.lo = np.full((n, width), NEVER, dtype=np.int64)
        self.hi = np.full((n, width), -1, dtype=np.int64)
        for i, c in enumerate(items):
            for k, (lo, hi) in enumerate(c.starts):
                self.lo[i, k], self.hi[i, k] = lo, hi
        self.duration = np.array([c.duration for c in items], dtype=np.int64)
        self.weight = np.array([c.weight for c in items], dtype=float)
        self.latest = self.hi.max(axis=1)
        self.ra = np.array([c.sequence.ra for c in items])
        self.dec = np.array([c.sequence.dec for c in items])
        self.overheads = overheads
        programs = sorted({c.program for c in items if c.program in quotas})
        self.program_index = np.array(
            [programs.index(c.program) if c.program in quotas else -1 for c in items])
        self.quotas = np.array([quotas[p] for p in programs], dtype=float)

    def first_starts(self, ready: np.ndarray) -> np.ndarray:
        """Per candidate, the earliest allowed start ≥ its ready time (or NEVER)."""
        ready = ready[:, None]
        options = np.where(self.hi >= ready, np.maximum(self.lo, ready), NEVER)
        return options.min(axis=1)

    def gaps(self, previous: int | None) -> np.ndarray:
        if previous is None:
            return np.zeros(len(self.duration), dtype=np.int64)
        if self.overheads.fixed is not None:
            return np.full(len(self.duration), int(np.ceil(self.overheads.fixed)),
                           dtype=np.int64)
        dra = np.abs((self.ra - self.ra[previous] + 180.0) % 360.0 - 180.0)
        ddec = np.abs(self.dec - self.dec[previous])
        slew = np.maximum(dra / self.overheads.slew_rate_ra, ddec / self.overheads.slew_rate_dec)
        return np.ceil(self.overheads.least + slew).astype(np.int64)


@dataclass
class _State:
    moment: int
    previous: int | None
    available: np.ndarray
    quota_left: np.ndarray
    value: float = 0.0
    chosen: list[tuple[int, int]] = field(default_factory=list)  # (candidate, start)

    def copy(self) -> _State:
        return _State(self.moment, self.previous, self.available.copy(),
                      self.quota_left.copy(), self.value, list(self.chosen))


def _scores(arrays: _Arrays, state: _State) -> tuple[np.ndarray, np.ndarray]:
    starts = arrays.first_starts(state.moment + arrays.gaps(state.previous))
    feasible = state.available & (starts < NEVER)
    wait = (starts - state.moment).astype(float)
    density = arrays.weight / (arrays.duration + wait)
    slack = (arrays.latest - starts).astype(float)
    urgency = URGENCY_WEIGHT * np.exp(-np.maximum(slack, 0.0) / URGENCY_HORIZON)
    return np.where(feasible, density * (1.0 + urgency), -np.inf), starts


def _take(arrays: _Arrays, state: _State, chosen: int, start: int) -> None:
    state.available[chosen] = False
    state.chosen.append((chosen, start))
    state.value += arrays.weight[chosen]
    state.moment, state.previous = start + int(arrays.duration[chosen]), chosen
    program = arrays.program_index[chosen]
    if program >= 0:
        state.quota_left[program] -= arrays.duration[chosen]
        # Siblings that no longer fit the program's quota are out for tonight.
        state.available &= ~((arrays.program_index == program)
                             & (arrays.duration > state.quota_left[program]))


def _complete(arrays: _Arrays, state: _State, end_at: int) -> _State:
    while state.moment < end_at:
        score, starts = _scores(arrays, state)
        chosen = int(np.argmax(score))
        if score[chosen] == -np.inf:
            break
        _take(arrays, state, chosen, int(starts[chosen]))
    return state


def _initial(arrays: _Arrays, start_from: int) -> _State:
    available = np.ones(len(arrays.duration), dtype=bool)
    for program, left in enumerate(arrays.quotas):
        available &= ~((arrays.program_index == program) & (arrays.duration > left))
    return _State(start_from, None, available, arrays.quotas.copy())


def _slots(items: list[Candidate], state: _State) -> list[Slot]:
    return [Slot(items[i], start) for i, start in state.chosen]


def pilot_plan(items: list[Candidate], overheads: Overheads, quotas: dict[str, float],
               start_from: int, end_at: int, *, width: int = PILOT_WIDTH) -> list[Slot]:
    if not items:
        return []
    arrays = _Arrays(items, overheads, quotas)
    state = _initial(arrays, start_from)
    best = _complete(arrays, state.copy(), end_at)
    while state.moment < end_at:
        score, starts = _scores(arrays, state)
        order = np.argsort(-score, kind="stable")[:width]
        order = [int(i) for i in order if score[i] > -np.inf]
        if not order:
            break
        chosen, chosen_value = order[0], -1.0
        for option in order:
            trial = state.copy()
            _take(arrays, trial, option, int(starts[option]))
            completed = _complete(arrays, trial, end_at)
            if completed.value > chosen_value:
                chosen, chosen_value = option, completed.value
            if completed.value > best.value:
                best = completed
        _take(arrays, state, chosen, int(starts[chosen]))
    final = state if state.value >= best.value else best
    return _slots(items, final)
