"""An OCS request group as a TOM posts it, and its translation into a RequestSpec.

The shapes follow the LCO observation portal's serializers for the fields the TOM
Toolkit's OCS facility writes; fields it may add that change nothing here (acquisition
and guiding configs, optimisation type, extra_params) are accepted and ignored, and
fields whose meaning PyROS cannot honour (cadences, repeated configurations, orbital
elements, several windows, a moon-phase limit) are refused with a message rather than
silently dropped. What the portal would compute (``request_durations``) is computed
from the unit's readout times and ``[ocs] configuration_overhead``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from pyros.config.schema import Channel, UnitConfig
from pyros.observations.lifecycle import ObsType
from pyros.observations.spec import (
    MAX_SEQUENCES,
    AlbumSpec,
    PlanSpec,
    RequestSpec,
    SequenceSpec,
)

#: OCS observation types onto PyROS's (obs_type, lowest priority): a rapid response
#: interrupts the night (IMMEDIATE, as an alert does); a time-critical request keeps
#: its window but outranks every normal one.
OBSERVATION_TYPES: dict[str, tuple[ObsType, int]] = {
    "NORMAL": (ObsType.BESTELEV, 1),
    "TIME_CRITICAL": (ObsType.BESTELEV, 9),
    "RAPID_RESPONSE": (ObsType.IMMEDIATE, 10),
}
#: The portal's bounds of the intra-proposal priority.
IPP_MIN, IPP_MAX = 0.5, 2.0

Errors = dict[str, Any]


def _none_is_zero(value: Any) -> Any:
    return 0.0 if value is None else value


def _utc(value: Any) -> Any:
    """The portal reads a time without a zone as UTC; so does PyROS."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"'{value}' is not an ISO 8601 time (e.g. "
                             "2026-12-06T20:00:00Z)") from None
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


ZeroIfNone = Annotated[float, BeforeValidator(_none_is_zero)]
UtcTime = Annotated[datetime, BeforeValidator(_utc)]


class Lenient(BaseModel):
    """Unknown fields are ignored, as the portal ignores fields it does not use."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class TargetIn(Lenient):
    type: str = "ICRS"
    name: str = Field(min_length=1, max_length=100)
    ra: float = Field(ge=0.0, lt=360.0, description="ICRS degrees")
    dec: float = Field(ge=-90.0, le=90.0, description="ICRS degrees")
    proper_motion_ra: ZeroIfNone = Field(default=0.0, ge=-20_000, le=20_000,
                                         description="mas/yr, including cos(dec)")
    proper_motion_dec: ZeroIfNone = Field(default=0.0, ge=-20_000, le=20_000,
                                          description="mas/yr")
    epoch: float = Field(default=2000.0, ge=1900.0, le=2100.0, description="Julian year")

    @field_validator("type")
    @classmethod
    def _icrs(cls, value: str) -> str:
        if value != "ICRS":
            raise ValueError(f"PyROS observes ICRS targets; '{value}' is not supported")
        return value


class ConstraintsIn(Lenient):
    max_airmass: float = Field(default=1.6, ge=1.0, le=10.0)
    min_lunar_distance: float = Field(default=30.0, ge=0.0, le=180.0)
    max_lunar_phase: float = Field(default=1.0, ge=0.0, le=1.0)

    @field_validator("max_lunar_phase")
    @classmethod
    def _no_phase_limit(cls, value: float) -> float:
        if value < 1.0:
            raise ValueError("PyROS plans against the distance to the moon, not its phase: "
                             "leave max_lunar_phase at 1 and set min_lunar_distance")
        return value


class InstrumentConfigIn(Lenient):
    exposure_time: float = Field(gt=0.0, le=36_000.0, description="seconds")
    exposure_count: int = Field(ge=1, le=10_000)
    mode: str | None = None
    optical_elements: dict[str, str | None] = Field(default_factory=dict)

    @field_validator("optical_elements")
    @classmethod
    def _a_filter(cls, value: dict[str, str | None]) -> dict[str, str | None]:
        if not value.get("filter"):
            raise ValueError("needs a 'filter'")
        return value


class ConfigurationIn(Lenient):
    type: str = "EXPOSE"
    instrument_type: str = Field(min_length=1, max_length=100)
    target: TargetIn
    constraints: ConstraintsIn = ConstraintsIn()
    instrument_configs: list[InstrumentConfigIn] = Field(min_length=1, max_length=100)
    repeat_duration: float | None = None

    @field_validator("type")
    @classmethod
    def _expose(cls, value: str) -> str:
        if value != "EXPOSE":
            raise ValueError(f"PyROS takes EXPOSE configurations; '{value}' is not supported")
        return value


class WindowIn(Lenient):
    start: UtcTime
    end: UtcTime


class LocationIn(Lenient):
    telescope_class: str = Field(min_length=1, max_length=20)


class RequestIn(Lenient):
    configurations: list[ConfigurationIn] = Field(min_length=1, max_length=20)
    windows: list[WindowIn] = Field(min_length=1, max_length=1)
    location: LocationIn
    configuration_repeats: int = Field(default=1, ge=1, le=1)
    cadence: None = None


class RequestGroupIn(Lenient):
    name: str = Field(min_length=1, max_length=100)
    proposal: str = Field(min_length=1, max_length=100)
    ipp_value: float = Field(default=1.0, ge=IPP_MIN, le=IPP_MAX)
    operator: Literal["SINGLE"] = "SINGLE"
    observation_type: Literal["NORMAL", "RAPID_RESPONSE", "TIME_CRITICAL"] = "NORMAL"
    requests: list[RequestIn] = Field(min_length=1, max_length=MAX_SEQUENCES)


# --- errors in the portal's shape -------------------------------------------------------

_MESSAGES = {
    "requests.*.windows": "PyROS takes one window per request: submit one request per window",
    "requests.*.configuration_repeats": "PyROS observes each configuration once",
    "requests.*.cadence": "cadences are not supported: submit one request per visit",
    "operator": "PyROS takes SINGLE request groups",
}


def _message(loc: tuple[Any, ...], error: dict[str, Any]) -> str:
    pattern = ".".join("*" if isinstance(p, int) else str(p) for p in loc)
    for key, text in _MESSAGES.items():
        if pattern.startswith(key) and error["type"] not in ("missing",):
            return text
    if error["type"] == "missing":
        return "This field is required."
    return str(error["msg"]).removeprefix("Value error, ")


def add_error(errors: Errors, loc: tuple[Any, ...], message: str) -> None:
    """Put ``message`` where ``loc`` points, nesting as the portal does: a list of
    elements becomes a list of error dicts (``{}`` for a valid element)."""
    node: Any = errors
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(part, int):
            while len(node) <= part:
                node.append({})
            if last:  # an element as a whole (its list's index was the last step)
                node[part].setdefault("non_field_errors", []).append(message)
            else:
                node = node[part]
            continue
        follows_index = not last and isinstance(loc[i + 1], int)
        if last:
            node.setdefault(str(part), []).append(message)
        elif follows_index:
            existing = node.get(str(part))
            if not isinstance(existing, list) or (existing and isinstance(existing[0], str)):
                node[str(part)] = existing = []
            node = existing
        else:
            node = node.setdefault(str(part), {})


def validation_errors(exc: ValidationError) -> Errors:
    errors: Errors = {}
    for error in exc.errors():
        loc = tuple(error["loc"]) or ("non_field_errors",)
        add_error(errors, loc, _message(loc, error))
    return errors


def parse_group(data: Any) -> tuple[RequestGroupIn | None, Errors]:
    if not isinstance(data, dict):
        return None, {"non_field_errors": ["the body must be a JSON object"]}
    try:
        return RequestGroupIn.model_validate(data), {}
    except ValidationError as exc:
        return None, validation_errors(exc)


# --- the translation ----------------------------------------------------------------------


def channels_by_instrument(unit: UnitConfig) -> dict[str, Channel]:
    """An OCS instrument type is a channel, by the channel's name (its code)."""
    return {channel.name: channel for channel in unit.channels}


def configuration_seconds(configuration: ConfigurationIn, channel: Channel,
                          overhead: float) -> float:
    return overhead + sum(ic.exposure_count * (ic.exposure_time + channel.readout_time)
                          for ic in configuration.instrument_configs)


def _at_epoch(target: TargetIn, when: datetime) -> tuple[float, float]:
    """The target's position at ``when``, moved by its proper motion since its epoch."""
    if not (target.proper_motion_ra or target.proper_motion_dec):
        return target.ra, target.dec
    julian_year = 2000.0 + (when.timestamp() - 946_728_000.0) / (365.25 * 86_400)
    years = julian_year - target.epoch
    dec = target.dec + target.proper_motion_dec * years / 3.6e6
    cos_dec = math.cos(math.radians(target.dec))
    ra = target.ra
    if cos_dec > 1e-9:
        ra = (target.ra + target.proper_motion_ra * years / 3.6e6 / cos_dec) % 360.0
    return ra, max(-90.0, min(90.0, dec))


def priority_of(group: RequestGroupIn) -> tuple[ObsType, int]:
    """The portal's ipp 0.5 … 1.0 … 2.0 onto PyROS's priorities 1 … 5 … 10 (5, the
    default of both, for 1.0); the observation type sets a floor."""
    obs_type, floor = OBSERVATION_TYPES[group.observation_type]
    return obs_type, max(floor, priority_from_ipp(group.ipp_value))


def priority_from_ipp(ipp: float) -> int:
    if ipp <= 1.0:
        scaled = 1 + (ipp - IPP_MIN) / (1.0 - IPP_MIN) * 4
    else:
        scaled = 5 + (ipp - 1.0) / (IPP_MAX - 1.0) * 5
    return max(1, min(10, math.floor(scaled + 0.5)))


def ipp_from_priority(priority: int) -> float:
    """The inverse, for showing a stored request as a group."""
    if priority <= 5:
        return round(IPP_MIN + (priority - 1) / 4 * (1.0 - IPP_MIN), 3)
    return round(1.0 + (priority - 5) / 5 * (IPP_MAX - 1.0), 3)


def translate(group: RequestGroupIn, unit: UnitConfig) -> tuple[RequestSpec | None, Errors]:
    """The RequestSpec for ``group``, or the errors (in the portal's shape) that the
    unit finds in it: unknown instruments, filters they do not have, another
    telescope class, several targets in one request, a window too short."""
    errors: Errors = {}
    channels = channels_by_instrument(unit)
    overhead = unit.ocs.configuration_overhead
    obs_type, priority = priority_of(group)
    sequences: list[SequenceSpec] = []
    for r, request in enumerate(group.requests):
        where = ("requests", r)
        if request.location.telescope_class != unit.ocs.telescope_class:
            add_error(errors, (*where, "location", "telescope_class"),
                      f"'{request.location.telescope_class}' is not a telescope class of "
                      f"PyROS (it has '{unit.ocs.telescope_class}')")
        first = request.configurations[0].target
        albums: dict[str, list[PlanSpec]] = {}
        detectors: dict[str, str] = {}
        seconds = 0.0
        for c, configuration in enumerate(request.configurations):
            here = (*where, "configurations", c)
            target = configuration.target
            if (target.name, target.ra, target.dec) != (first.name, first.ra, first.dec):
                add_error(errors, (*here, "target"),
                          "PyROS observes one target per request: submit another request "
                          "for this target")
            channel = channels.get(configuration.instrument_type)
            if channel is None:
                add_error(errors, (*here, "instrument_type"),
                          f"'{configuration.instrument_type}' is not an instrument of PyROS "
                          f"(instruments: {', '.join(channels)})")
                continue
            detectors[channel.name] = channel.detector
            seconds += configuration_seconds(configuration, channel, overhead)
            plans = albums.setdefault(channel.name, [])
            for i, ic in enumerate(configuration.instrument_configs):
                name = ic.optical_elements.get("filter") or ""
                if name not in channel.filters:
                    add_error(errors, (*here, "instrument_configs", i, "optical_elements"),
                              f"'{name}' is not a filter of {channel.name} (filters: "
                              f"{', '.join(channel.filters)})")
                    continue
                plans.append(PlanSpec(name=f"{name} {len(plans) + 1}", filter=name,
                                      exposure=ic.exposure_time, nb_images=ic.exposure_count))
        window = request.windows[0]
        if window.end <= window.start:
            add_error(errors, (*where, "windows", 0, "end"), "the window ends before it starts")
        elif seconds > (window.end - window.start).total_seconds():
            add_error(errors, (*where, "windows", 0),
                      f"the window ({(window.end - window.start).total_seconds():.0f} s) is "
                      f"shorter than the request ({seconds:.0f} s)")
        if errors:
            continue
        ra, dec = _at_epoch(first, window.start + (window.end - window.start) / 2)
        constraints = [c.constraints for c in request.configurations]
        try:
            sequences.append(SequenceSpec(
                name=f"{group.name} {r + 1}"[:100], target=first.name, ra=ra, dec=dec,
                start=window.start, end=window.end, duration=round(seconds, 3),
                priority=priority, obs_type=obs_type,
                max_airmass=min(c.max_airmass for c in constraints),
                min_moon_separation=max(c.min_lunar_distance for c in constraints),
                albums=[AlbumSpec(name=f"{name} album", detector=detectors[name],
                                  plans=plans) for name, plans in albums.items()]))
        except ValidationError as exc:  # what the spec adds: dates out of range, say
            for error in exc.errors():
                add_error(errors, where, str(error["msg"]).removeprefix("Value error, "))
    if errors:
        return None, errors
    return RequestSpec(name=group.name, scientific_program=group.proposal, submitted=True,
                       sequences=sequences), {}


def durations(group: RequestGroupIn, unit: UnitConfig) -> dict[str, Any]:
    """``request_durations`` as the portal answers it: each request's seconds and the
    group's total (what a TOM shows before submitting)."""
    channels = channels_by_instrument(unit)
    overhead = unit.ocs.configuration_overhead
    per_request = []
    for request in group.requests:
        seconds = sum(configuration_seconds(c, channels[c.instrument_type], overhead)
                      for c in request.configurations if c.instrument_type in channels)
        per_request.append({"duration": round(seconds, 3)})
    return {"duration": round(sum(r["duration"] for r in per_request), 3),
            "requests": per_request}
