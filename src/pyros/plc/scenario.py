"""Scenario files for the PLC simulator, and the player that says what the PLC answers.

The guide's format (``data/scenario_rain.json``) is a JSON array: its first element is
the scenario's length in iterations, then come events; an event changes one value of
one device at a PLC iteration (``"time"``; iteration 1 is the first status request the
simulator answers)::

    [10,
     {"time": 3, "plcSimulator": {"device_name": "WXT520", "value_name": "RainRate",
                                  "value": 12.0}},
     {"time": 7, "plcSimulator": {"device_name": "WXT520", "value_name": "RainRate",
                                  "value": 0.0}}]

A change holds until another event changes the same value again; after the last
iteration the PLC keeps answering with the last state (the scenario does not loop).

Extensions, all optional:

- ``"at_seconds": S`` instead of ``"time"``: the event happens S seconds after the
  run's simulated clock started (``pyros start --sim-time``), else after the simulator
  started (measured on the injected clock, so a simulated night runs fast).
- ``"plcSimulator": {"device_name": D, "valid": "no"}``: flag a whole device invalid (or
  ``"yes"`` again); ``value_name``/``value`` and ``valid`` may be combined.
- ``"failure"`` instead of ``"plcSimulator"``, for the link rather than the sensors:
  ``"silent"`` (requests get no answer), ``"disconnect"`` (the PLC closes the connection
  instead of answering), ``"garbage"`` (the answer is a malformed frame: ``"frame"`` if
  given, else a truncated status document). A failure lasts ``"for_iterations"``
  (with ``"time"``, default 1) or ``"for_seconds"`` (with ``"at_seconds"``, required).
- ``"comment"``: free text, ignored.

Events of each kind (iterations, seconds) must be in chronological order; when a value
is changed by both kinds, the event later in the file wins. Unknown keys are errors: a
typo in a test scenario must not silently test nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pyros.plc.document import PlcError, PlcStatus, Scalar, YesNo

FailureKind = Literal["silent", "disconnect", "garbage"]


class ScenarioError(PlcError, ValueError):
    """A scenario file that cannot be played, with the file and the event at fault."""


class _ScenarioModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ValueChange(_ScenarioModel):
    """The guide's ``plcSimulator`` object: what changes on which device."""

    device_name: str = Field(min_length=1)
    value_name: str | None = Field(default=None, min_length=1)
    value: Scalar | None = None
    valid: YesNo | None = None

    @model_validator(mode="after")
    def _says_something(self) -> ValueChange:
        if (self.value_name is None) != (self.value is None):
            raise ValueError("value_name and value go together")
        if self.value is None and self.valid is None:
            raise ValueError("a change needs value_name and value, or valid")
        return self


class ScenarioEvent(_ScenarioModel):
    time: int | None = Field(default=None, ge=0, description="PLC iteration")
    at_seconds: float | None = Field(default=None, ge=0.0, description="since start")
    change: ValueChange | None = Field(default=None, alias="plcSimulator")
    failure: FailureKind | None = None
    for_iterations: int | None = Field(default=None, ge=1)
    for_seconds: float | None = Field(default=None, gt=0.0)
    frame: str | None = Field(default=None, max_length=1_000_000)
    comment: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> ScenarioEvent:
        if (self.time is None) == (self.at_seconds is None):
            raise ValueError('an event has either "time" (iteration) or "at_seconds"')
        if (self.change is None) == (self.failure is None):
            raise ValueError('an event has either "plcSimulator" (a change) or "failure"')
        if self.failure is None and (self.for_iterations or self.for_seconds):
            raise ValueError("for_iterations / for_seconds only apply to a failure")
        if self.time is not None and self.for_seconds is not None:
            raise ValueError('an event at a "time" (iteration) lasts for_iterations')
        if self.at_seconds is not None and self.for_iterations is not None:
            raise ValueError('an event "at_seconds" lasts for_seconds')
        if self.failure and self.at_seconds is not None and self.for_seconds is None:
            raise ValueError('a failure "at_seconds" needs "for_seconds"')
        if self.frame is not None:
            if self.failure != "garbage":
                raise ValueError('"frame" only applies to a "garbage" failure')
            if "\n" in self.frame:
                raise ValueError('"frame" is one line: it must not contain a newline')
        return self

    def has_happened(self, iteration: int, elapsed: float) -> bool:
        if self.time is not None:
            return iteration >= self.time
        return elapsed >= (self.at_seconds or 0.0)

    def is_failing(self, iteration: int, elapsed: float) -> bool:
        """Whether this failure event is in force at this iteration / time."""
        if self.failure is None:
            return False
        if self.time is not None:
            return self.time <= iteration < self.time + (self.for_iterations or 1)
        start = self.at_seconds or 0.0
        return start <= elapsed < start + (self.for_seconds or 0.0)

    def describe(self) -> str:
        when = f"iteration {self.time}" if self.time is not None else f"{self.at_seconds:g} s"
        if self.failure:
            return f"{self.failure} at {when}"
        change = self.change
        if change is None:
            return f"nothing at {when}"
        what = change.device_name
        if change.value_name is not None:
            what += f".{change.value_name} = {change.value!r}"
        if change.valid is not None:
            what += f" valid={'yes' if change.valid else 'no'}"
        return f"{what} at {when}"


@dataclass(frozen=True)
class Scenario:
    length: int
    events: tuple[ScenarioEvent, ...]
    source: str = "scenario"


def parse_scenario(data: object, source: str = "scenario") -> Scenario:
    """Validate a decoded scenario (the JSON array)."""
    if not isinstance(data, list) or not data:
        raise ScenarioError(f"{source}: a scenario is a JSON array [length, event, ...]")
    length = data[0]
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        raise ScenarioError(
            f"{source}: the first element must be the length in iterations (an integer"
            f" >= 1), not {length!r}"
        )
    events: list[ScenarioEvent] = []
    for number, raw in enumerate(data[1:], start=1):
        where = f"{source}: event {number}"
        if not isinstance(raw, dict):
            raise ScenarioError(f"{where}: an event is a JSON object, not {raw!r}")
        try:
            event = ScenarioEvent.model_validate(raw)
        except ValidationError as error:
            raise ScenarioError(f"{where}: {_describe(error)}") from None
        if event.time is not None and event.time > length:
            raise ScenarioError(
                f"{where}: iteration {event.time} is after the scenario's length {length}"
            )
        events.append(event)
    _check_order(events, source)
    return Scenario(length=length, events=tuple(events), source=source)


def load_scenario(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ScenarioError(f"scenario {path}: cannot read: {error.strerror or error}") from None
    except ValueError as error:
        raise ScenarioError(f"scenario {path}: not JSON: {error}") from None
    return parse_scenario(data, source=f"scenario {path}")


def builtin_scenario(name: str) -> Scenario:
    """A scenario shipped with PyROS, by name: ``rain`` is ``data/scenario_rain.json``."""
    data = resources.files("pyros.plc").joinpath("data")
    resource = data.joinpath(f"scenario_{name}.json")
    if not resource.is_file():
        known = sorted(
            item.name.removeprefix("scenario_").removesuffix(".json")
            for item in data.iterdir()
            if item.name.startswith("scenario_") and item.name.endswith(".json")
        )
        raise ScenarioError(
            f"no scenario file {name!r} and no built-in scenario of that name"
            f" (built-in: {', '.join(known)})"
        )
    return parse_scenario(json.loads(resource.read_text(encoding="utf-8")), f"scenario {name!r}")


def _check_order(events: list[ScenarioEvent], source: str) -> None:
    last_iteration: tuple[int, int] | None = None
    last_seconds: tuple[float, int] | None = None
    for number, event in enumerate(events, start=1):
        if event.time is not None:
            if last_iteration and event.time < last_iteration[0]:
                raise ScenarioError(
                    f"{source}: event {number} (iteration {event.time}) comes after event"
                    f" {last_iteration[1]} (iteration {last_iteration[0]}): keep events in"
                    " chronological order"
                )
            last_iteration = (event.time, number)
        elif event.at_seconds is not None:
            if last_seconds and event.at_seconds < last_seconds[0]:
                raise ScenarioError(
                    f"{source}: event {number} ({event.at_seconds:g} s) comes after event"
                    f" {last_seconds[1]} ({last_seconds[0]:g} s): keep events in"
                    " chronological order"
                )
            last_seconds = (event.at_seconds, number)


def _describe(error: ValidationError) -> str:
    parts = []
    for detail in error.errors()[:3]:
        field = ".".join(str(step) for step in detail["loc"])
        message = detail["msg"].removeprefix("Value error, ")
        parts.append(f"{field}: {message}" if field else message)
    return "; ".join(parts)


class ScenarioPlayer:
    """What the PLC says at a given iteration and time: the base document with every
    change that has happened applied, and the failure in force, if any.

    The player is a pure function of (iteration, elapsed seconds), so tests can ask for
    iteration 5 without playing 1 to 4. Every change is checked against the base
    document when the player is built: a scenario naming a device the PLC does not have
    fails at start-up, not in the middle of a night.
    """

    def __init__(self, base: PlcStatus, scenario: Scenario | None = None) -> None:
        self.base = base
        self.scenario = scenario or Scenario(length=1, events=(), source="no scenario")
        self._cache: dict[tuple[int, ...], PlcStatus] = {}
        self._last: tuple[tuple[int, ...], PlcStatus] = ((), base)
        for number, event in enumerate(self.scenario.events, start=1):
            if event.change is not None:
                try:
                    _apply(base, event.change)
                except PlcError as error:
                    raise ScenarioError(
                        f"{self.scenario.source}: event {number} ({event.describe()}): {error}"
                    ) from None

    def document_at(self, iteration: int, elapsed: float = 0.0) -> PlcStatus:
        changes = [
            (index, event.change)
            for index, event in enumerate(self.scenario.events)
            if event.change is not None and event.has_happened(iteration, elapsed)
        ]
        key = tuple(index for index, _ in changes)
        document = self._cache.get(key)
        if document is None:
            # A long scenario (a generated night's weather) adds a few changes at a
            # time: start from the last document when its changes are a prefix.
            done, document = self._last
            if key[:len(done)] != done:
                done, document = (), self.base
            for _, change in changes[len(done):]:
                document = _apply(document, change)
            self._cache[key] = document
        self._last = (key, document)
        return document

    def failure_at(self, iteration: int, elapsed: float = 0.0) -> ScenarioEvent | None:
        """The failure in force, the first in file order when several overlap."""
        for event in self.scenario.events:
            if event.is_failing(iteration, elapsed):
                return event
        return None

    def is_finished(self, iteration: int) -> bool:
        return iteration >= self.scenario.length


def _apply(document: PlcStatus, change: ValueChange) -> PlcStatus:
    if change.value_name is not None and change.value is not None:
        document = document.with_value(change.device_name, change.value_name, change.value)
    if change.valid is not None:
        document = document.with_device_validity(change.device_name, change.valid)
    return document
