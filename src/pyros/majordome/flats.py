"""Twilight flats that find their exposure. Through the flat window the sky's brightness
changes by a factor of a few hundred (a flat in r wants 0.15 s at sun -3° and 48 s at
-9°), and differently in each filter: a fixed exposure gives saturated frames at one end
and empty ones at the other. Each flat is measured (the median of the detector's centre)
and the next exposure scaled to the aimed level; a flat far from it is deleted, not
counted. When even the shortest (or longest) allowed exposure cannot reach the level,
the sky decides: at dusk it darkens, so a sky still too bright is waited for and a sky
already too dark ends the filter's flats; at dawn, the other way round.

Plain Python: the executor exposes, this module reads the file and judges.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.io import fits

#: A flat is kept when its level is within these fractions of the aimed one.
ACCEPTED = (0.6, 1.4)
#: Raw level from which a flat counts as saturated (16-bit converters clip at 65535): its
#: true level is unknown, so the next exposure is a tenth, not scaled.
SATURATED = 60_000.0
SATURATED_SCALE = 0.1
WAIT = 30.0  # clock seconds between two tries while the sky is not yet right
MAX_WAIT = 1800.0  # clock seconds a filter may wait for its sky before giving up
#: Exposures a filter may spend: enough to find the level from a first guess a thousand
#: times off (a tenth at a time when saturated), then two per flat.
TRIES_TO_FIND = 6
TRIES_PER_FLAT = 2


def exposures_allowed(count: int) -> int:
    return TRIES_TO_FIND + TRIES_PER_FLAT * count


@dataclass(frozen=True)
class FlatAim:
    """What a plan of twilight flats aims at."""

    level: float  # raw ADU at the detector's centre, bias included
    min_exposure: float  # seconds: shorter, the shutter's travel shows on the frame
    max_exposure: float  # seconds: longer, stars show and the twilight runs away
    darkening: bool  # dusk: the sky darkens from one flat to the next


@dataclass(frozen=True)
class FlatVerdict:
    keep: bool  # the flat just taken is good
    next_exposure: float | None  # None: no more flats in this filter now
    wait: bool  # wait for the sky (WAIT) before the next exposure
    reason: str  # why, when it waits or gives up


def measured_level(path: Path) -> float:
    """The median of the central quarter of the frame (every other pixel: a flat is
    smooth), in raw ADU."""
    with fits.open(path, memmap=False) as hdus:
        data = hdus[0].data
        if data is None or data.ndim != 2:
            raise ValueError(f"{path.name}: no 2-D image to measure")
        ny, nx = data.shape
        centre = data[ny // 4:3 * ny // 4:2, nx // 4:3 * nx // 4:2]
        return float(np.median(centre))


def first_exposure(aim: FlatAim, guess: float) -> float:
    return min(max(guess, aim.min_exposure), aim.max_exposure)


def judge(aim: FlatAim, exposure: float, level: float) -> FlatVerdict:
    """Keep the flat of ``exposure`` seconds that measured ``level``? And what next."""
    low, high = ACCEPTED[0] * aim.level, ACCEPTED[1] * aim.level
    keep = low <= level <= high and level < SATURATED
    scale = SATURATED_SCALE if level >= SATURATED else aim.level / max(level, 1.0)
    needed = exposure * scale
    if needed < aim.min_exposure:
        if aim.darkening:
            return FlatVerdict(keep, aim.min_exposure, True, "the sky is still too bright "
                               f"(it needs {needed:.3g} s, shortest {aim.min_exposure:g} s)")
        return FlatVerdict(keep, None, False, "the sky is now too bright "
                           f"(it needs {needed:.3g} s, shortest {aim.min_exposure:g} s)")
    if needed > aim.max_exposure:
        if aim.darkening:
            return FlatVerdict(keep, None, False, "the sky is now too dark "
                               f"(it needs {needed:.3g} s, longest {aim.max_exposure:g} s)")
        return FlatVerdict(keep, aim.max_exposure, True, "the sky is still too dark "
                           f"(it needs {needed:.3g} s, longest {aim.max_exposure:g} s)")
    return FlatVerdict(keep, needed, False, "")
