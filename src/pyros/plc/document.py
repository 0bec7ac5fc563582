"""The PLC status document, validated frame by frame.

On the wire a status frame is a JSON array holding one ``STATUS`` object (the guide's
form, ``data/plc_status_default.json``)::

    [{"name": "STATUS", "from": "Beckhoff", "version_firmware": "20170809",
      "site": "OSM-Mexico", "date": "2017-03-03T13:45:00",
      "device": [{"name": "WXT520", "type": "meteo", "serial_number": "14656423",
                  "valid": "yes",
                  "values": [{"name": "RainRate", "value": 0.0, "unit": "mm/h",
                              "comment": ""}, ...]}, ...]}]

Validity flags are the strings ``"yes"``/``"no"`` (JSON booleans are accepted too). The
guide asks that every sensor give its time stamp: a device may carry ``"timestamp"``,
otherwise its values are as old as the document's ``date``. A value may carry its own
``"valid"``; a value is valid when its device is and it is not marked ``"no"``. Naive
times are the PLC's UTC.

A value's type must fit its unit: unit ``"string"`` holds a string, unit ``"bool"`` holds
0/1 (or a JSON boolean), every other unit holds a finite number. Fields this module does
not know are ignored rather than refused: a firmware update that adds a field must not
cut the observatory off from its weather sensors.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)

DEFAULT_DOCUMENT = "plc_status_default.json"

#: A JSON scalar as the PLC sends it.
Scalar = bool | int | float | str


class PlcError(Exception):
    """Anything that went wrong talking to the PLC or reading what it said."""


class PlcFrameError(PlcError, ValueError):
    """A frame that is not a valid status document. ``device`` and ``value`` name the
    first offending element when there is one, so the operator knows which sensor (or
    which PLC program) to look at."""

    def __init__(self, message: str, device: str | None = None, value: str | None = None):
        super().__init__(message)
        self.device = device
        self.value = value


class PlcLookupError(PlcError, LookupError):
    """A device or value the status document does not have."""

    def __str__(self) -> str:  # LookupError would print the message in quotes
        return str(self.args[0]) if self.args else ""


def _yes_no(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("yes", "no"):
        return raw.strip().lower() == "yes"
    raise ValueError(f'validity must be "yes" or "no", not {raw!r}')


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


YesNo = Annotated[
    bool,
    BeforeValidator(_yes_no),
    PlainSerializer(lambda valid: "yes" if valid else "no", return_type=str),
]
PlcTime = Annotated[datetime, AfterValidator(_utc)]
Name = Annotated[str, Field(min_length=1, max_length=100)]


class PlcModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class PlcValue(PlcModel):
    """One named measurement or state of a device."""

    name: Name
    value: Any
    unit: str = Field(max_length=50)
    comment: str = Field(default="", max_length=500)
    valid: YesNo | None = Field(default=None, description="None: as valid as its device")

    @field_validator("value")
    @classmethod
    def _scalar(cls, value: object) -> Scalar:
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"value must be finite, not {value!r}")
        if not isinstance(value, bool | int | float | str):
            kind = "null" if value is None else type(value).__name__
            raise ValueError(f"value must be a number, a string or a boolean, not {kind}")
        return value

    @model_validator(mode="after")
    def _fits_unit(self) -> PlcValue:
        value, unit = self.value, self.unit
        if unit == "string":
            if not isinstance(value, str):
                raise ValueError(f"unit 'string' needs a string value, got {value!r}")
        elif unit == "bool":
            if value not in (0, 1) or isinstance(value, float | str):
                raise ValueError(f"unit 'bool' needs 0 or 1, got {value!r}")
        elif isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"unit {unit!r} needs a number, got {value!r}")
        return self


class PlcDevice(PlcModel):
    """One device the PLC reads: a weather station, a rain sensor, a lamp..."""

    name: Name
    type: str = Field(max_length=50)
    serial_number: str = Field(default="", max_length=100)
    valid: YesNo
    timestamp: PlcTime | None = None
    values: tuple[PlcValue, ...]

    @field_validator("values")
    @classmethod
    def _unique_names(cls, values: tuple[PlcValue, ...]) -> tuple[PlcValue, ...]:
        names = [v.name for v in values]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"value names must be unique, repeated: {', '.join(twice)}")
        return values

    def value(self, name: str) -> PlcValue:
        for value in self.values:
            if value.name == name:
                return value
        known = ", ".join(v.name for v in self.values)
        raise PlcLookupError(f"PLC device {self.name!r} has no value {name!r} (it has: {known})")


@dataclass(frozen=True)
class Reading:
    """A value with what the monitoring needs to trust it: its validity as the PLC
    states it (device and value flags combined) and the time it was measured."""

    device: str
    name: str
    value: Scalar
    unit: str
    is_valid: bool
    measured_at: datetime


class PlcStatus(PlcModel):
    """The whole status document: what the PLC knows at ``date``."""

    name: Literal["STATUS"]
    from_: str = Field(alias="from", max_length=100)
    version_firmware: str = Field(max_length=100)
    site: str = Field(max_length=100)
    date: PlcTime
    devices: tuple[PlcDevice, ...] = Field(alias="device")

    @field_validator("devices")
    @classmethod
    def _unique_devices(cls, devices: tuple[PlcDevice, ...]) -> tuple[PlcDevice, ...]:
        names = [d.name for d in devices]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"device names must be unique, repeated: {', '.join(twice)}")
        return devices

    def device(self, name: str) -> PlcDevice:
        for device in self.devices:
            if device.name == name:
                return device
        known = ", ".join(d.name for d in self.devices)
        raise PlcLookupError(f"the PLC status has no device {name!r} (it has: {known})")

    def value(self, device: str, name: str) -> PlcValue:
        return self.device(device).value(name)

    def has_value(self, device: str, name: str) -> bool:
        return any(d.name == device and any(v.name == name for v in d.values)
                   for d in self.devices)

    def reading(self, device: str, name: str) -> Reading:
        dev = self.device(device)
        value = dev.value(name)
        return Reading(
            device=dev.name,
            name=value.name,
            value=value.value,
            unit=value.unit,
            is_valid=dev.valid and value.valid is not False,
            measured_at=dev.timestamp or self.date,
        )

    def to_wire(self) -> list[dict[str, Any]]:
        """The document as the PLC sends it (a one-element list), ready for json.dumps."""
        return [self.model_dump(mode="json", by_alias=True, exclude_none=True)]

    def to_frame(self) -> str:
        """One line of the protocol, without the newline."""
        return json.dumps(self.to_wire(), ensure_ascii=False, separators=(",", ":"))

    def with_value(self, device: str, name: str, value: Scalar) -> PlcStatus:
        """A copy with one value changed, validated like a received frame."""
        self.value(device, name)  # a clear error for unknown names
        wire = self.to_wire()
        for dev in wire[0]["device"]:
            if dev["name"] == device:
                for val in dev["values"]:
                    if val["name"] == name:
                        val["value"] = value
        return parse_status(wire)

    def with_device_validity(self, device: str, valid: bool) -> PlcStatus:
        """A copy where ``device`` is flagged valid or not."""
        self.device(device)
        wire = self.to_wire()
        for dev in wire[0]["device"]:
            if dev["name"] == device:
                dev["valid"] = "yes" if valid else "no"
        return parse_status(wire)

    def stamped(self, date: datetime) -> PlcStatus:
        return self.model_copy(update={"date": _utc(date)})


def parse_frame(frame: str | bytes) -> PlcStatus:
    """Parse one frame (a line of the protocol) into a validated status document."""
    try:
        data = json.loads(frame)
    except (ValueError, UnicodeDecodeError) as error:
        raise PlcFrameError(f"PLC frame is not JSON ({error}): {_excerpt(frame)}") from None
    return parse_status(data)


def parse_status(data: object) -> PlcStatus:
    """Validate an already decoded frame: ``[{"name": "STATUS", ...}]``."""
    if not isinstance(data, list) or len(data) != 1 or not isinstance(data[0], dict):
        raise PlcFrameError(
            "PLC frame must be a JSON array holding one STATUS object, got "
            + _excerpt(json.dumps(data, default=str))
        )
    document = data[0]
    try:
        return PlcStatus.model_validate(document)
    except ValidationError as error:
        raise _frame_error(error, document) from None


def parse_frame_lenient(frame: str | bytes, rejected: list[str]) -> PlcStatus:
    """Parse a frame keeping every value that is valid on its own: a bad value (NaN, a
    number where the unit wants a string...) or a bad device is dropped, with its reason
    appended to ``rejected``, instead of losing the whole frame. A frame whose envelope
    is wrong (not JSON, no STATUS object, no date) is still refused whole."""
    try:
        data = json.loads(frame)
    except (ValueError, UnicodeDecodeError) as error:
        raise PlcFrameError(f"PLC frame is not JSON ({error}): {_excerpt(frame)}") from None
    if not isinstance(data, list) or len(data) != 1 or not isinstance(data[0], dict):
        return parse_status(data)  # raises with the usual message
    document = dict(data[0])
    kept_devices = []
    for raw_device in document.get("device") or []:
        if not isinstance(raw_device, dict):
            rejected.append(f"a device entry is not an object: {_excerpt(str(raw_device))}")
            continue
        name = str(raw_device.get("name", "?"))
        kept_values = []
        for raw_value in raw_device.get("values") or []:
            try:
                PlcValue.model_validate(raw_value)
                kept_values.append(raw_value)
            except ValidationError as error:
                label = raw_value.get("name", "?") if isinstance(raw_value, dict) else "?"
                reason = error.errors()[0]["msg"].removeprefix("Value error, ")
                rejected.append(f"device {name!r}, value {label!r}: {reason}")
        device = {**raw_device, "values": kept_values}
        try:
            PlcDevice.model_validate(device)
            kept_devices.append(device)
        except ValidationError as error:
            reason = error.errors()[0]["msg"].removeprefix("Value error, ")
            rejected.append(f"device {name!r}: {reason}")
    document["device"] = kept_devices
    return parse_status([document])


def load_document(text: str) -> PlcStatus:
    """A status document from a file's text (same form as a frame, may span lines)."""
    return parse_frame(text)


def default_document() -> PlcStatus:
    """The guide's status document, shipped as package data."""
    data = resources.files("pyros.plc").joinpath("data", DEFAULT_DOCUMENT)
    return load_document(data.read_text(encoding="utf-8"))


def _frame_error(error: ValidationError, document: dict[str, Any]) -> PlcFrameError:
    """Turn pydantic's locations (``device.2.values.5.value``) into names an operator
    knows (``device 'VantagePro', value 'RainRate'``)."""
    problems: list[str] = []
    first_device: str | None = None
    first_value: str | None = None
    for detail in error.errors()[:5]:
        device, value, where = _names_along(detail["loc"], document)
        if not problems:
            first_device, first_value = device, value
        message = detail["msg"].removeprefix("Value error, ").replace("valid tuple", "list")
        problems.append(f"{', '.join(where) or 'document'}: {message}")
    more = error.error_count() - len(problems)
    tail = f" (and {more} more)" if more > 0 else ""
    return PlcFrameError(
        "PLC frame rejected: " + "; ".join(problems) + tail, device=first_device, value=first_value
    )


def _names_along(
    loc: tuple[int | str, ...], document: dict[str, Any]
) -> tuple[str | None, str | None, list[str]]:
    device: str | None = None
    value: str | None = None
    where: list[str] = []
    node: Any = document
    level = "document"
    for position, step in enumerate(loc, start=1):
        if isinstance(step, int) and isinstance(node, list) and 0 <= step < len(node):
            node = node[step]
            name = node.get("name") if isinstance(node, dict) else None
            named = isinstance(name, str) and bool(name)
            plain = name if named else f"#{step + 1}"
            label = repr(plain) if named else plain
            if level == "device":
                device = plain
                where.append(f"device {label}")
            elif level == "values":
                value = plain
                where.append(f"value {label}")
        elif isinstance(step, str) and isinstance(node, dict):
            level = step
            node = node.get(step)
            if step not in ("device", "values") or position == len(loc):
                where.append(f"field {step!r}")
        else:
            where.append(str(step))
    return device, value, where


def _excerpt(frame: str | bytes, limit: int = 80) -> str:
    text = frame.decode("utf-8", "replace") if isinstance(frame, bytes) else frame
    return repr(text if len(text) <= limit else text[:limit] + "...")
