"""The validated shape of an observation request, independent of any file format,
database or clock.

Every way into PyROS (XML file, JSON file, REST API, web forms) builds a RequestSpec;
what cannot be said with one cannot be stored. Checks that need the outside world (the
unit's detectors and filters, the current time) are in :func:`check_against_unit`;
those that need the database (program membership, quota) are in ``store``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from pyros.observations.coordinates import parse_dec, parse_ra
from pyros.observations.lifecycle import ObsType
from pyros.observations.problems import Problem, element_path

MAX_SEQUENCES = 1000
MAX_IMAGES_PER_PLAN = 10_000


#: Instants a request may name. Far outside, a date is a mistake, and at the edges of
#: ``datetime`` (year 1 with a +01:00 offset, 9999 plus an hour) converting it to UTC, or
#: adding an observing period to it, overflows: refuse it here with a message instead.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


def _utc(value: datetime) -> datetime:
    """A time in UTC; one written without a zone (``2026-11-22T04:00``) is UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{value.isoformat()} is out of range (from {EARLIEST:%Y} to "
                         f"{LATEST:%Y})") from None
    if not EARLIEST <= utc < LATEST:
        raise ValueError(f"{utc:%Y-%m-%d} is out of range (from {EARLIEST:%Y} to "
                         f"{LATEST:%Y})")
    return utc


#: Every time of a request is UTC: one with a zone is converted, one without is taken
#: as UTC (docs/requests.md).
UtcDatetime = Annotated[datetime, AfterValidator(_utc)]
RightAscension = Annotated[float, Field(ge=0, lt=360, description="right ascension, ICRS "
                                        "degrees (or sexagesimal hours: 12:34:56.7, "
                                        "12h34m56.7s)"),
                           BeforeValidator(parse_ra)]
Declination = Annotated[float, Field(ge=-90, le=90, description="declination, ICRS degrees "
                                     "(or sexagesimal: +12:34:56, -05 30 00)"),
                        BeforeValidator(parse_dec)]
Name = Annotated[str, Field(min_length=1, max_length=100)]


class SpecModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PlanSpec(SpecModel):
    """Images to take through one filter."""

    name: Name
    filter: Annotated[str, Field(min_length=1, max_length=50)]
    exposure: float = Field(gt=0, le=36_000, description="exposure time of one image, seconds")
    nb_images: int = Field(default=1, ge=1, le=MAX_IMAGES_PER_PLAN)


class AlbumFields(SpecModel):
    """What one detector (channel) does during the sequence, without its plans (the web
    builder validates an album on its own before its plans exist)."""

    name: Name
    detector: Annotated[str, Field(min_length=1, max_length=50)]


class AlbumSpec(AlbumFields):
    plans: list[PlanSpec] = Field(min_length=1)


class SequenceFields(SpecModel):
    """One target, in one time window, without its albums."""

    name: Name
    target: str = Field(default="", max_length=100, description="target name")
    ra: RightAscension
    dec: Declination
    start: UtcDatetime = Field(description="window start, UTC")
    end: UtcDatetime = Field(description="window end, UTC")
    duration: float = Field(gt=0, le=86_400, description="seconds of telescope time")
    priority: int = Field(default=5, ge=1, le=10, description="1 (lowest) to 10 (highest)")
    obs_type: ObsType = ObsType.BESTELEV
    preferred_time: UtcDatetime | None = None
    max_airmass: float = Field(default=2.0, ge=1.0, le=10.0)
    min_moon_separation: float = Field(default=0.0, ge=0.0, le=180.0, description="degrees")

    @model_validator(mode="after")
    def _coherent(self) -> SequenceFields:
        if self.end <= self.start:
            raise ValueError(f"the window ends ({self.end:%Y-%m-%d %H:%M:%S}) before it starts "
                             f"({self.start:%Y-%m-%d %H:%M:%S})")
        window = (self.end - self.start).total_seconds()
        if self.duration > window:
            raise ValueError(f"the duration ({self.duration:g} s) does not fit in the window "
                             f"({window:g} s)")
        if self.preferred_time is not None and not self.start <= self.preferred_time <= self.end:
            raise ValueError("the preferred time is outside the window")
        return self


class SequenceSpec(SequenceFields):
    """One target, in one time window, observed on one or more detectors."""

    albums: list[AlbumSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_album_per_detector(self) -> SequenceSpec:
        detectors = [a.detector for a in self.albums]
        duplicated = sorted({d for d in detectors if detectors.count(d) > 1})
        if duplicated:
            raise ValueError(f"one album per detector: {', '.join(duplicated)} used twice")
        return self


class RequestFields(SpecModel):
    """A request's own fields, without its sequences."""

    name: Name
    scientific_program: Name
    target_type: str = Field(default="", max_length=50)


class RequestSpec(RequestFields):
    """An observation request, as a whole."""

    submitted: bool = False
    sequences: list[SequenceSpec] = Field(min_length=1, max_length=MAX_SEQUENCES)


def check_against_unit(
    spec: RequestSpec,
    filters_by_detector: Mapping[str, Sequence[str]],
    now: datetime,
    field_names: Mapping[str, str] | None = None,
    lines: Mapping[tuple[int | str, ...], int] | None = None,
    readout_by_detector: Mapping[str, float] | None = None,
) -> list[Problem]:
    """What the unit and the clock say against ``spec``: windows already over,
    detectors the unit does not have, filters a detector cannot use, and (when the
    readout times are given) durations too short for their exposures and readouts."""
    data: dict[str, Any] = spec.model_dump()
    names = field_names or {}
    problems: list[Problem] = []

    def add(loc: tuple[int | str, ...], field: str, message: str) -> None:
        where, element_loc = element_path(loc, data)
        line = lines.get(element_loc) if lines else None
        problems.append(Problem(where, names.get(field, field), message, line))

    for s, sequence in enumerate(spec.sequences):
        if sequence.end <= now:
            add(("sequences", s), "end",
                f"the window is already over ({sequence.end:%Y-%m-%d %H:%M:%S} UTC)")
        if readout_by_detector is not None:
            needed, why = minimum_duration(sequence, readout_by_detector)
            if sequence.duration < needed:
                add(("sequences", s), "duration",
                    f"{sequence.duration:g} s cannot hold its exposures and readouts: it "
                    f"needs at least {needed:g} s ({why})")
    problems += check_detectors_and_filters(data, filters_by_detector, field_names, lines)
    return problems


def minimum_duration(sequence: SequenceSpec,
                     readout_by_detector: Mapping[str, float]) -> tuple[float, str]:
    """The least duration that holds the sequence's images: each album's exposures and
    readouts one after the other, the albums (one per detector) side by side. Returns
    the seconds and how they were counted (the longest album's)."""
    longest, why = 0.0, ""
    for album in sequence.albums:
        readout = float(readout_by_detector.get(album.detector, 0.0))
        seconds = sum(p.nb_images * (p.exposure + readout) for p in album.plans)
        if seconds > longest:
            terms = " + ".join(f"{p.nb_images} × ({p.exposure:g} s + {readout:g} s readout)"
                               for p in album.plans)
            longest, why = seconds, f"album '{album.name}': {terms}"
    return math.ceil(longest * 1000) / 1000, why


def check_detectors_and_filters(
    data: Any,
    filters_by_detector: Mapping[str, Sequence[str]],
    field_names: Mapping[str, str] | None = None,
    lines: Mapping[tuple[int | str, ...], int] | None = None,
) -> list[Problem]:
    """Detectors the unit does not have and filters a detector cannot use, read from a
    request as data, valid or not: a request with a bad declination is told about its
    bad filter in the same answer, not in the next one."""
    names = field_names or {}
    problems: list[Problem] = []

    def items(node: Any, key: str) -> list[tuple[int, dict]]:
        children = node.get(key) if isinstance(node, Mapping) else None
        if not isinstance(children, list):
            return []
        return [(i, c) for i, c in enumerate(children) if isinstance(c, Mapping)]

    def add(loc: tuple[int | str, ...], field: str, message: str) -> None:
        where, element_loc = element_path(loc, data)
        line = lines.get(element_loc) if lines else None
        problems.append(Problem(where, names.get(field, field), message, line))

    for s, sequence in items(data, "sequences"):
        for a, album in items(sequence, "albums"):
            album_loc = ("sequences", s, "albums", a)
            detector = album.get("detector")
            if not isinstance(detector, str) or not detector.strip():
                continue  # the spec's own check says what is wrong with it
            filters = filters_by_detector.get(detector.strip())
            if filters is None:
                known = ", ".join(f"'{d}'" for d in filters_by_detector)
                add(album_loc, "detector",
                    f"the unit has no detector '{detector.strip()}' (detectors: {known})")
                continue
            for p, plan in items(album, "plans"):
                name = plan.get("filter")
                if isinstance(name, str) and name.strip() and name.strip() not in filters:
                    add((*album_loc, "plans", p), "filter",
                        f"'{name.strip()}' is not a filter of detector '{detector.strip()}' "
                        f"(filters: {', '.join(filters)})")
    return problems
