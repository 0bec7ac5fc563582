"""A tighter bound: the night as a longest path, with "each sequence at most once" priced
instead of enforced (Lagrangian relaxation).

Allow every sequence to be planned any number of times, but charge a price μᵢ ≥ 0 for
each use and give the prices back once: for any prices, the best such chain of
sequences plus Σμᵢ bounds the objective of every real plan. The best chain is a
dynamic programme over time — one sequence after another, each whole, each starting
where it is observable, each followed by the least overhead — so unlike the linear
relaxation it knows that sequences are not cut in pieces. Subgradient steps lower the
prices of sequences the chain leaves out and raise those it repeats.

Time is counted in cells of :data:`CELL` seconds; a sequence occupies the whole cells
its length covers, rounded down, and may start in any cell one of its allowed starts
falls in. Every real plan maps to a chain on the cells, so the bound stays a bound.
"""

from __future__ import annotations

import time

import numpy as np

from pyros.scheduling.candidates import Candidate

CELL = 10  # seconds
ITERATIONS = 20
NEG = -1e18


class ChainBound:
    def __init__(self, items: list[Candidate], horizon: tuple[int, int],
                 least_overhead: float) -> None:
        self.items = items
        overhead = int(least_overhead)
        origin = horizon[0]
        self.cells = (horizon[1] + overhead - origin) // CELL + 1
        self.length = np.array([(c.duration + overhead) // CELL for c in items], dtype=np.int64)
        self.length = np.maximum(self.length, 1)
        self.weight = np.array([c.weight for c in items], dtype=float)
        self.allowed = np.zeros((len(items), self.cells), dtype=bool)
        for i, candidate in enumerate(items):
            for lo, hi in candidate.starts:
                a = max(0, (lo - origin) // CELL)
                b = min(self.cells - 1, (hi - origin) // CELL)
                if b >= a:
                    self.allowed[i, a:b + 1] = True
        self.block = int(self.length.min())
        self.rows = np.arange(len(items))[:, None]

    def chain(self, values: np.ndarray) -> tuple[float, np.ndarray, list[int]]:
        """The best chain's value with these per-use values, how often it uses each
        sequence, and the chain itself (indices in time order)."""
        best, taken = self._forward(values)
        counts = np.zeros(len(self.items), dtype=np.int64)
        path: list[int] = []
        cell = self.cells - 1
        while cell > 0:
            item = int(taken[cell])
            if item < 0:
                cell -= 1
                continue
            counts[item] += 1
            path.append(item)
            cell -= int(self.length[item])
        return float(best[-1]), counts, path[::-1]

    def bound(self, incumbent: float, start_prices: np.ndarray | None = None, *,
              deadline: float | None = None, iterations: int = ITERATIONS
              ) -> tuple[float, list[list[int]]]:
        """The lowest bound found by subgradient steps from ``start_prices`` (Polyak's
        step towards ``incumbent``), stopping at ``deadline`` (perf_counter seconds);
        and the chains met on the way, which, once their repeats are dropped, are often
        good plans."""
        prices = np.zeros(len(self.items)) if start_prices is None else start_prices.copy()
        lowest = np.inf
        chains: list[list[int]] = []
        self.best_prices = prices.copy()
        scale = 1.0
        stalled = 0
        for _ in range(iterations):
            if deadline is not None and time.perf_counter() > deadline:
                break
            value, counts, path = self.chain(self.weight - prices)
            chains.append(path)
            here = value + prices.sum()
            if here < lowest - 1e-6:
                lowest, stalled = here, 0
                self.best_prices = prices.copy()
            else:
                stalled += 1
                if stalled >= 3:
                    scale, stalled = scale / 2.0, 0
            if lowest <= incumbent + 1e-6:
                break
            direction = 1.0 - counts  # d(bound)/d(price)
            norm = float(direction @ direction)
            if norm == 0:
                break
            step = scale * (here - incumbent) / norm
            prices = np.maximum(0.0, prices - step * direction)
        return float(lowest), chains

    def usable(self, incumbent: float) -> np.ndarray:
        """Which sequences some chain better than ``incumbent`` can contain, at the best
        prices found: the best chain through each sequence is the best chain up to its
        start, plus it, plus the best chain after it (Lagrangian variable fixing)."""
        prices = self.best_prices
        values = self.weight - prices
        before, _ = self._forward(values)
        after = self._backward(values)
        through = np.full(len(self.items), NEG)
        for i in range(len(self.items)):
            cells = np.flatnonzero(self.allowed[i])
            cells = cells[cells + self.length[i] <= self.cells - 1]
            if len(cells):
                through[i] = values[i] + float(np.max(before[cells]
                                                      + after[cells + self.length[i]]))
        return through + prices.sum() >= incumbent - 1e-6

    def _forward(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """best[u]: the best chain whose sequences all end (overhead included) by cell
        u; taken[u]: the sequence that ends exactly at u in it, or -1."""
        best = np.zeros(self.cells)
        taken = np.full(self.cells, -1, dtype=np.int64)
        for first in range(0, self.cells, self.block):
            cells = np.arange(first, min(first + self.block, self.cells))
            source = cells[None, :] - self.length[:, None]
            valid = source >= 0
            clipped = np.where(valid, source, 0)
            valid &= self.allowed[self.rows, clipped]
            gains = np.where(valid, best[clipped] + values[:, None], NEG)
            chosen = gains.argmax(axis=0)
            gain = gains[chosen, np.arange(len(cells))]
            before = best[first - 1] if first > 0 else 0.0
            running = np.maximum.accumulate(np.maximum(gain, before))
            previous = np.concatenate(([before], running[:-1]))
            best[cells] = running
            taken[cells] = np.where(gain > previous, chosen, -1)
        return best, taken

    def _backward(self, values: np.ndarray) -> np.ndarray:
        """best[u]: the best chain whose sequences all start at cell u or later."""
        best = np.zeros(self.cells + 1)
        for last in range(self.cells - 1, -1, -self.block):
            cells = np.arange(max(0, last - self.block + 1), last + 1)
            target = cells[None, :] + self.length[:, None]
            valid = target <= self.cells - 1
            clipped = np.where(valid, target, self.cells)
            valid &= self.allowed[self.rows, cells[None, :]]
            gain = np.where(valid, best[clipped] + values[:, None], NEG).max(axis=0)
            after = best[last + 1]
            best[cells] = np.maximum.accumulate(np.maximum(gain, after)[::-1])[::-1]
        return best[:-1]
