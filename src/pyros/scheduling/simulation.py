"""The simulation file: a night's sequences planned without touching the database, by
``pyros schedule simulate FILE.json`` and the Schedule page's simulation form.

Format (docs/scheduling.md has the full description)::

    {"site": {"lat": 31.04, "lon": -115.46, "elevation_m": 2790, "horizon_deg": 20},
     "night": "2026-11-21",
     "overheads": {"fixed_s": 60},
     "quotas": {"GRB": 7200},
     "sequences": [{"id": "s1", "ra": 10.5, "dec": 41.2, "duration_s": 900,
                    "priority": 3, "window": ["2026-11-22T03:00:00Z",
                    "2026-11-22T06:00:00Z"], "preferred": null, "type": "BESTELEV",
                    "max_airmass": 2.0, "min_moon_sep_deg": 30, "program": "GRB"}]}

``site`` (default: the unit's configuration, with its horizon profile and mount
limits), ``overheads`` (default: the unit's slew/settle/filter model) and ``quotas``
(seconds per program; default: none) are optional.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pyros.scheduling.problem import (
    ObservationType,
    Overheads,
    PlanResult,
    Problem,
    SequenceToPlan,
    SiteSpec,
)

MAX_SEQUENCES = 20_000


class SimulationError(Exception):
    """A simulation file that cannot be planned, with what is wrong in it."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SiteFields(_Strict):
    lat: float = Field(ge=-90.0, le=90.0)
    lon: float = Field(ge=-180.0, le=180.0)
    elevation_m: float = Field(default=0.0, ge=-500.0, le=6000.0)
    horizon_deg: float = Field(default=0.0, ge=0.0, le=89.0)
    night_sun_altitude: float = Field(default=-12.0, ge=-18.0, le=0.0)


class OverheadFields(_Strict):
    fixed_s: float = Field(ge=0.0, le=3600.0)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class SequenceFields(_Strict):
    id: str = Field(min_length=1, max_length=100)
    ra: float = Field(ge=0.0, lt=360.0)
    dec: float = Field(ge=-90.0, le=90.0)
    duration_s: float = Field(gt=0.0, le=86400.0)
    priority: int = Field(default=5, ge=1, le=10)
    window: tuple[datetime, datetime] | None = None
    preferred: datetime | None = None
    type: Literal["BESTELEV", "IMMEDIATE"] = "BESTELEV"
    max_airmass: float | None = Field(default=None, ge=1.0, le=40.0)
    min_moon_sep_deg: float | None = Field(default=None, ge=0.0, le=180.0)
    program: str | None = Field(default=None, max_length=100)

    @field_validator("window")
    @classmethod
    def _ordered(cls, window: tuple[datetime, datetime] | None):
        if window is None:
            return None
        start, end = _utc(window[0]), _utc(window[1])
        if end <= start:
            raise ValueError("the window's end must come after its start")
        return start, end

    @field_validator("preferred")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return None if value is None else _utc(value)


class SimulationFile(_Strict):
    site: SiteFields | None = None
    night: date
    overheads: OverheadFields | None = None
    quotas: dict[str, float] = Field(default_factory=dict)
    sequences: list[SequenceFields] = Field(max_length=MAX_SEQUENCES)

    @field_validator("sequences")
    @classmethod
    def _unique_ids(cls, sequences: list[SequenceFields]) -> list[SequenceFields]:
        seen: set[str] = set()
        for sequence in sequences:
            if sequence.id in seen:
                raise ValueError(f"sequence id '{sequence.id}' appears twice")
            seen.add(sequence.id)
        return sequences


def parse_simulation(data: Any, *, default_site: SiteSpec | None = None,
                     default_overheads: Overheads | None = None) -> Problem:
    """A Problem from the decoded JSON of a simulation file."""
    try:
        spec = SimulationFile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'file'}: {error['msg']}"
            for error in exc.errors()[:10])
        raise SimulationError(f"invalid simulation file: {problems}") from None
    if spec.site is not None:
        site = SiteSpec(latitude=spec.site.lat, longitude=spec.site.lon,
                        elevation=spec.site.elevation_m, min_altitude=spec.site.horizon_deg,
                        night_sun_altitude=spec.site.night_sun_altitude)
    elif default_site is not None:
        site = default_site
    else:
        raise SimulationError("the file has no site and no unit configuration gives one")
    if spec.overheads is not None:
        overheads = Overheads(fixed=spec.overheads.fixed_s)
    else:
        overheads = default_overheads or Overheads()
    sequences = [SequenceToPlan(
        id=s.id, ra=s.ra, dec=s.dec, duration=s.duration_s, priority=s.priority,
        window=s.window, preferred=s.preferred, obs_type=ObservationType(s.type),
        max_airmass=s.max_airmass, min_moon_separation=s.min_moon_sep_deg,
        program=s.program) for s in spec.sequences]
    return Problem(site=site, night=spec.night, sequences=sequences, overheads=overheads,
                   quotas={k: float(v) for k, v in spec.quotas.items()})


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def result_json(result: PlanResult) -> dict[str, Any]:
    """The documented output of ``pyros schedule simulate --json``."""
    return {
        "plan": [{"id": p.id, "start": _iso(p.start), "end": _iso(p.end)}
                 for p in result.placements],
        "unplanned": [{"id": r.id, "reason": r.reason} for r in result.rejections],
        "objective": result.objective,
        "bound": result.bound,
        "elapsed_s": round(result.elapsed, 4),
        "engine": result.engine,
        "proven_optimal": result.proven_optimal,
    }
