"""What the planner is asked and what it answers, as plain typed objects.

The planner core (this module, ``sky``, ``visibility``, ``candidates``, the engines) knows
neither Django nor agents: the scheduler agent and ``pyros schedule simulate`` both build
a :class:`Problem` and read a :class:`PlanResult`.

The objective, decided once: **priority-weighted observed time**, the sum over planned
sequences of ``priority × duration`` (seconds). Priorities run from 1 (lowest) to 10
(highest), as everywhere in PyROS, so an hour at priority 5 is worth five hours at
priority 1, and no amount of low-priority time is worth more than the same time of a
higher priority. Program quotas are hard limits: a program's planned time never exceeds
what it has left. Placement preferences (BESTELEV near the best altitude, IMMEDIATE as
early as possible, a preferred time) never cost objective: they decide *when* the chosen
sequences run, not *which*.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum


class ObservationType(StrEnum):
    BESTELEV = "BESTELEV"
    IMMEDIATE = "IMMEDIATE"


@dataclass(frozen=True)
class SiteSpec:
    """Where the telescope is and what it can point at. ``horizon`` is a profile of
    (azimuth, lowest altitude) pairs in degrees, interpolated in azimuth; empty is flat."""

    latitude: float
    longitude: float
    elevation: float
    horizon: tuple[tuple[float, float], ...] = ()
    min_altitude: float = 0.0
    max_hour_angle: float | None = None  # hours; None: no limit
    night_sun_altitude: float = -12.0


@dataclass(frozen=True)
class SequenceToPlan:
    id: str
    ra: float  # ICRS degrees
    dec: float
    duration: float  # seconds
    priority: int = 5
    window: tuple[datetime, datetime] | None = None
    preferred: datetime | None = None
    obs_type: ObservationType = ObservationType.BESTELEV
    max_airmass: float | None = None
    min_altitude: float | None = None
    min_moon_separation: float | None = None
    program: str | None = None

    @property
    def weight(self) -> float:
        """Its worth in the objective when planned."""
        return self.priority * self.duration


@dataclass(frozen=True)
class Overheads:
    """Time between two consecutive sequences. With ``fixed`` set, that constant;
    otherwise the unit's model: the slew (both mount axes move at once, so the longer of
    the hour-angle and declination moves at their rates), the settling, and one filter
    change. The dome turns while the mount slews (it is faster over the same angle)."""

    fixed: float | None = None
    slew_rate_ra: float = 20.0  # degrees per second
    slew_rate_dec: float = 20.0
    settle: float = 3.0
    filter_change: float = 2.0

    @property
    def least(self) -> float:
        return self.fixed if self.fixed is not None else self.settle + self.filter_change

    def between(self, a: SequenceToPlan, b: SequenceToPlan) -> float:
        if self.fixed is not None:
            return self.fixed
        return self.least + self.slew(a.ra, a.dec, b.ra, b.dec)

    def slew(self, ra1: float, dec1: float, ra2: float, dec2: float) -> float:
        """Seconds to move between two positions of the same instant: the hour angle
        changes by the same amount as the right ascension."""
        dra = abs((ra2 - ra1 + 180.0) % 360.0 - 180.0)
        return max(dra / self.slew_rate_ra, abs(dec2 - dec1) / self.slew_rate_dec)

    @property
    def most(self) -> float:
        """An upper bound of any overhead: half a turn in hour angle, 180° in dec."""
        if self.fixed is not None:
            return self.fixed
        return self.least + max(180.0 / self.slew_rate_ra, 180.0 / self.slew_rate_dec)


@dataclass(frozen=True)
class FixedEntry:
    """A sequence that stays where it is: executing, or about to start."""

    id: str
    start: datetime
    end: datetime


@dataclass
class Problem:
    site: SiteSpec
    night: date  # the night that starts at noon UTC of this date
    sequences: list[SequenceToPlan]
    overheads: Overheads = field(default_factory=Overheads)
    quotas: dict[str, float] = field(default_factory=dict)  # program -> seconds left
    not_before: datetime | None = None  # plan nothing earlier (now, when re-planning)
    fixed: list[FixedEntry] = field(default_factory=list)

    @property
    def noon(self) -> datetime:
        return night_noon(self.night, self.site.longitude)


def night_noon(night: date, longitude: float = 0.0) -> datetime:
    """A night runs from noon to noon, local mean solar time: noon UTC at Greenwich, and
    earlier or later by the site's longitude elsewhere, so that no site has its night cut
    in two (at San Pedro Mártir noon UTC is 4 a.m.). The date is that of the evening."""
    offset = timedelta(seconds=round(longitude / 15.0 * 3600.0))
    return datetime.combine(night, time(12, 0), tzinfo=UTC) - offset


def night_of(moment: datetime, longitude: float = 0.0) -> date:
    """The night a moment belongs to (before local noon: the previous evening's night)."""
    moment = moment.astimezone(UTC) + timedelta(hours=longitude / 15.0)
    return (moment - timedelta(hours=12)).date()


@dataclass(frozen=True)
class Placement:
    id: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Rejection:
    id: str
    reason: str


@dataclass
class PlanResult:
    """A plan: the placements in time order, and every other sequence with its reason.

    ``objective`` is the priority-weighted time planned (see the module's docstring);
    ``bound`` an upper bound of what any plan of the same problem can reach (None when
    the engine proves none), so ``objective / bound`` is a guaranteed quality."""

    placements: list[Placement]
    rejections: list[Rejection]
    objective: float
    bound: float | None
    elapsed: float  # seconds, visibility included
    engine: str
    proven_optimal: bool = False

    @property
    def gap(self) -> float | None:
        if self.bound is None or self.bound <= 0:
            return None
        return max(0.0, 1.0 - self.objective / self.bound)


def airmass_altitude(max_airmass: float) -> float:
    """The altitude (degrees) above which the airmass (sec z) stays below ``max_airmass``."""
    if max_airmass <= 1.0:
        return 90.0
    return 90.0 - math.degrees(math.acos(1.0 / max_airmass))
