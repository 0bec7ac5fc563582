"""An upper bound of the objective that holds whatever the engine: the night as a
knapsack.

Any plan fits its sequences, each followed by at least the least overhead, into the
dark time (the last needs no overhead after it). Forgetting when each target is
observable leaves a 0-1 knapsack — capacity the dark time plus one overhead, item sizes
duration plus overhead, values priority × duration — solved exactly by dynamic
programming on a 10-second grid (sizes rounded down and the capacity up, so the bound
stays a bound). On a crowded night, where something worth observing is up at every
moment, it is within a fraction of a percent of the true optimum; on a sparse one the
optimiser's own bound is the tighter and is used instead.
"""

from __future__ import annotations

import math

import numpy as np

from pyros.scheduling.candidates import Candidate

QUANTUM = 10  # seconds


def knapsack_bound(items: list[Candidate], capacity: float, least_overhead: float) -> int:
    if not items or capacity <= 0:
        return 0
    cells = math.ceil((capacity + least_overhead) / QUANTUM)
    best = np.zeros(cells + 1, dtype=np.int64)
    # Items heavier than the whole capacity can't be in any plan; larger values first
    # make the table converge sooner (the result does not depend on the order).
    for candidate in sorted(items, key=lambda c: -c.weight):
        size = int((candidate.duration + least_overhead) // QUANTUM)
        if size > cells:
            continue
        if size == 0:
            best += candidate.weight
            continue
        np.maximum(best[size:], best[:-size] + candidate.weight, out=best[size:])
    return int(best[-1])
