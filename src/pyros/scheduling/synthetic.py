"""Synthetic nights for the benchmark and the property tests: N sequences of 5–30 min
with priorities 1–5 and airmass < 2, targets spread over the part of the sky that
crosses the meridian during the night, some with time windows of 1–4 hours. Seeded:
the same arguments give the same night."""

from __future__ import annotations

import random
from datetime import date, timedelta

from pyros.scheduling.problem import (
    ObservationType,
    Overheads,
    Problem,
    SequenceToPlan,
    SiteSpec,
    night_noon,
)

SAN_PEDRO_MARTIR = SiteSpec(latitude=31.0439, longitude=-115.4637, elevation=2790.0)


def synthetic_problem(n: int, *, seed: int = 0, night: date = date(2026, 11, 21),
                      site: SiteSpec = SAN_PEDRO_MARTIR, windows: float = 0.3,
                      fixed_overhead: float | None = 60.0) -> Problem:
    """``windows``: the fraction of sequences with a time window."""
    rng = random.Random(seed)
    noon = night_noon(night, site.longitude)
    # Local sidereal time at local midnight is about RA 3.7 h on 21 November; the night
    # sky spans roughly ± 6 h around it.
    lst_midnight = (100.0 + 0.9856 * (night - date(2026, 9, 21)).days) % 360.0
    sequences = []
    for i in range(n):
        ra = (lst_midnight + rng.uniform(-95.0, 95.0)) % 360.0
        dec = rng.uniform(max(-89.0, site.latitude - 55.0), min(89.0, site.latitude + 50.0))
        duration = float(rng.randint(5, 30) * 60)
        window = None
        if rng.random() < windows:
            begin = noon + timedelta(hours=rng.uniform(13.0, 20.0))
            window = (begin, begin + timedelta(hours=rng.uniform(1.0, 4.0)))
        sequences.append(SequenceToPlan(
            id=f"seq{i:05d}", ra=round(ra, 4), dec=round(dec, 4), duration=duration,
            priority=rng.randint(1, 5), window=window, max_airmass=2.0,
            obs_type=ObservationType.BESTELEV))
    overheads = Overheads(fixed=fixed_overhead)
    return Problem(site=site, night=night, sequences=sequences, overheads=overheads)
