"""INDI messages as plain dataclasses: an incremental parser for what an indiserver sends
and serialisers for what a client sends (INDI protocol 1.7).

The stream from a server is a sequence of top-level elements without a root, so the
parser opens a synthetic ``<indi>`` root before the first byte. A side effect is wanted:
a ``<!DOCTYPE`` can only come before the root element, so in this stream it is a syntax
error, and with no DTD no entity other than the five predefined ones can be declared.
Hostile input (DOCTYPE, entity expansion, external entities) is therefore refused by the
parser itself; the handlers below refuse it a second time should that ever change.

The parser is expat driven directly rather than ``XMLPullParser``, because the pull
parser gathers an element's whole text before handing it over: for a ``oneBLOB`` that is
the entire base64 image in memory. Here BLOB text is decoded as it arrives and written to
a file the caller chooses (see :class:`Base64Sink`), so an image is never held in memory.

A well-formedness error is fatal for the stream (:class:`ProtocolError`: the connection
must be dropped); an element that is well-formed but meaningless (a number that is not a
number, an unknown state) becomes a :class:`Malformed` message and the stream goes on.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol
from xml.parsers import expat
from xml.sax.saxutils import escape, quoteattr

PROTOCOL_VERSION = "1.7"

#: Text of a non-BLOB element longer than this is not INDI but an attack or a bug.
MAX_TEXT = 1 << 20


class ProtocolError(Exception):
    """The byte stream is not INDI XML; the connection cannot be trusted any more."""


class State(StrEnum):
    IDLE = "Idle"
    OK = "Ok"
    BUSY = "Busy"
    ALERT = "Alert"


class Kind(StrEnum):
    TEXT = "Text"
    NUMBER = "Number"
    SWITCH = "Switch"
    LIGHT = "Light"
    BLOB = "BLOB"


@dataclass(frozen=True)
class BlobHeader:
    """What is known of a BLOB when its element starts, to choose where it goes."""

    device: str
    vector: str
    element: str
    format: str
    size: int


@dataclass(frozen=True)
class BlobValue:
    """A BLOB's place in a vector: its bytes went to a sink, only the count stays here."""

    format: str
    size: int  # as announced by the driver
    received: int  # decoded bytes written to the sink; 0 if nobody wanted them
    stored: bool  # whether a sink took them


Value = str | float | bool | State | BlobValue


@dataclass(frozen=True)
class ElementDefinition:
    name: str
    label: str
    value: Value | None  # None for a defBLOB, which carries no data
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    format: str | None = None


@dataclass(frozen=True)
class DefVector:
    """A property as defined by a driver (``defXxxVector``)."""

    kind: Kind
    device: str
    name: str
    label: str
    group: str
    state: State
    perm: str  # "ro", "wo", "rw"; lights have none and are "ro"
    rule: str | None  # switches: OneOfMany, AtMostOne, AnyOfMany
    timeout: float
    timestamp: str
    message: str
    elements: tuple[ElementDefinition, ...]

    @property
    def values(self) -> dict[str, Value]:
        return {e.name: e.value for e in self.elements if e.value is not None}


@dataclass(frozen=True)
class SetVector:
    """New values of some elements of a property (``setXxxVector``)."""

    kind: Kind
    device: str
    name: str
    state: State | None  # None when the driver left the state unchanged
    timeout: float | None
    timestamp: str
    message: str
    values: Mapping[str, Value]


@dataclass(frozen=True)
class DeviceMessage:
    """A free-text ``<message>``: how drivers explain an Alert or report progress."""

    device: str | None
    text: str
    timestamp: str


@dataclass(frozen=True)
class DelProperty:
    """A property (or, with ``name`` None, a whole device) went away."""

    device: str
    name: str | None
    message: str


@dataclass(frozen=True)
class Malformed:
    """A well-formed element that is not valid INDI; logged and otherwise ignored."""

    tag: str
    device: str | None
    name: str | None
    reason: str


Message = DefVector | SetVector | DeviceMessage | DelProperty | Malformed



class BlobSink(Protocol):
    """Where decoded BLOB bytes go: an open binary file, or anything that writes."""

    def write(self, data: bytes, /) -> object: ...


OpenBlob = Callable[[BlobHeader], BlobSink | None]

_DEF_TAGS = {f"def{k.value}Vector": k for k in Kind}
_SET_TAGS = {f"set{k.value}Vector": k for k in Kind}
_DEF_CHILD = {k: f"def{k.value}" for k in Kind}
_SET_CHILD = {k: f"one{k.value}" for k in Kind}
_SEXAGESIMAL = re.compile(r"^\s*([+-]?)(\d+(?:\.\d*)?)(?:[:; ](\d+(?:\.\d*)?))?"
                          r"(?:[:; ](\d+(?:\.\d*)?))?\s*$")
_BASE64_SPACE = b" \t\r\n"
_ROOT = b"<indi>"  # the synthetic root around the stream


def parse_number(text: str) -> float:
    """An INDI number: decimal, or sexagesimal ``D:M:S`` / ``D M S`` / ``D;M;S``."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    match = _SEXAGESIMAL.match(text)
    if not match:
        raise ValueError(f"not a number: {text[:40]!r}")
    sign, degrees, minutes, seconds = match.groups()
    value = float(degrees) + float(minutes or 0) / 60.0 + float(seconds or 0) / 3600.0
    return -value if sign == "-" else value


def _parse_value(kind: Kind, text: str) -> Value:
    text = text.strip()
    if kind is Kind.NUMBER:
        return parse_number(text)
    if kind is Kind.SWITCH:
        if text not in ("On", "Off"):
            raise ValueError(f"switch value must be On or Off, not {text[:20]!r}")
        return text == "On"
    if kind is Kind.LIGHT:
        return State(text)
    return text


def _optional_float(text: str | None) -> float | None:
    return None if text is None or text.strip() == "" else parse_number(text)


class Base64Sink:
    """Decodes base64 text arriving in arbitrary pieces and writes the bytes to a file.

    Only the few characters that do not yet make a 4-character group are kept between
    pieces, so memory stays bounded by one piece whatever the image size.
    """

    def __init__(self, out: BlobSink | None) -> None:
        self._out = out
        self._pending = b""
        self.written = 0

    def write(self, text: str) -> None:
        data = self._pending + text.encode("ascii", "strict").translate(None, _BASE64_SPACE)
        usable = len(data) - len(data) % 4
        self._pending = data[usable:]
        if usable:
            self._emit(data[:usable])

    def close(self) -> int:
        if self._pending:
            raise ValueError(f"base64 text ends with {len(self._pending)} stray characters")
        return self.written

    def _emit(self, chunk: bytes) -> None:
        try:
            decoded = binascii.a2b_base64(chunk, strict_mode=True)
        except binascii.Error as error:
            raise ValueError(f"bad base64 in BLOB: {error}") from None
        if self._out is not None:
            self._out.write(decoded)
        self.written += len(decoded)


@dataclass
class _Vector:
    """The top-level element being parsed."""

    tag: str
    attrs: dict[str, str]
    kind: Kind
    is_definition: bool
    children: list[tuple[dict[str, str], Value | None]] = field(default_factory=list)
    error: str | None = None


class StreamParser:
    """Feed it the bytes from a server in pieces of any size; get whole messages back.

    ``open_blob`` is asked, when a ``oneBLOB`` starts, for the file its decoded bytes go
    to (None: decode and drop them). The file is the caller's to close.
    """

    def __init__(self, open_blob: OpenBlob | None = None) -> None:
        self._open_blob = open_blob
        self._parser = expat.ParserCreate()
        self._parser.buffer_text = True
        self._parser.buffer_size = 1 << 16
        self._parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        self._parser.StartElementHandler = self._start
        self._parser.EndElementHandler = self._end
        self._parser.CharacterDataHandler = self._text
        self._parser.StartDoctypeDeclHandler = self._refuse_doctype
        self._parser.EntityDeclHandler = self._refuse_entity
        self._parser.ExternalEntityRefHandler = self._refuse_external
        self._depth = 0
        self._vector: _Vector | None = None
        self._child: dict[str, str] | None = None
        self._text_parts: list[str] = []
        self._text_size = 0
        self._blob: Base64Sink | None = None
        self._blob_stored = False
        self._out: list[Message] = []
        self._failed: str | None = None
        self._feed(_ROOT)

    def feed(self, data: bytes) -> list[Message]:
        """Parse ``data``; return the messages it completed. ProtocolError is final."""
        self._feed(data)
        out, self._out = self._out, []
        return out

    def _feed(self, data: bytes) -> None:
        if self._failed:
            raise ProtocolError(self._failed)
        try:
            self._parser.Parse(data, False)
        except expat.ExpatError as error:
            column = error.offset - len(_ROOT) if error.lineno == 1 else error.offset
            self._failed = f"not INDI XML: {expat.errors.messages[error.code]} " \
                           f"(line {error.lineno}, column {column})"
            raise ProtocolError(self._failed) from None
        except ProtocolError as error:
            self._failed = str(error)
            raise

    # --- hostile input --------------------------------------------------------------

    def _refuse_doctype(self, *args: object) -> None:
        raise ProtocolError("DOCTYPE refused in an INDI stream")

    def _refuse_entity(self, *args: object) -> None:
        raise ProtocolError("entity declarations refused in an INDI stream")

    def _refuse_external(self, *args: object) -> int:
        raise ProtocolError("external entities refused in an INDI stream")

    # --- expat handlers -------------------------------------------------------------

    def _start(self, tag: str, attrs: dict[str, str]) -> None:
        self._depth += 1
        if self._depth == 2:
            self._start_vector(tag, attrs)
        elif self._depth == 3:
            self._start_child(tag, attrs)
        elif self._depth > 3:
            raise ProtocolError(f"<{tag}> nested too deep for INDI")

    def _end(self, tag: str) -> None:
        if self._depth == 3:
            self._end_child(tag)
        elif self._depth == 2:
            self._end_vector()
        self._depth -= 1

    def _text(self, data: str) -> None:
        if self._blob is not None:
            try:
                self._blob.write(data)
            except (ValueError, UnicodeEncodeError) as error:
                self._blob = None
                self._fail_vector(str(error))
            return
        if self._depth < 2 or (self._depth == 2 and not data.strip()):
            return
        self._text_size += len(data)
        if self._text_size > MAX_TEXT:
            raise ProtocolError(f"element text longer than {MAX_TEXT} characters")
        self._text_parts.append(data)

    # --- top-level elements ---------------------------------------------------------

    def _start_vector(self, tag: str, attrs: dict[str, str]) -> None:
        self._reset_text()
        if tag in _DEF_TAGS or tag in _SET_TAGS:
            kind = _DEF_TAGS.get(tag) or _SET_TAGS[tag]
            self._vector = _Vector(tag, attrs, kind, tag in _DEF_TAGS)
            if "device" not in attrs or "name" not in attrs:
                self._fail_vector("device and name attributes are required")
        else:
            self._vector = _Vector(tag, attrs, Kind.TEXT, False)

    def _end_vector(self) -> None:
        vector, self._vector = self._vector, None
        text = "".join(self._text_parts).strip()
        self._reset_text()
        if vector is None:
            return
        message = self._build(vector, text)
        if message is not None:
            self._out.append(message)

    def _build(self, vector: _Vector, text: str) -> Message | None:
        attrs = vector.attrs
        if vector.tag == "message":
            return DeviceMessage(attrs.get("device"), attrs.get("message", text),
                                 attrs.get("timestamp", ""))
        if vector.tag == "delProperty":
            if "device" not in attrs:
                return Malformed("delProperty", None, None, "device attribute is required")
            return DelProperty(attrs["device"], attrs.get("name"), attrs.get("message", ""))
        if vector.tag not in _DEF_TAGS and vector.tag not in _SET_TAGS:
            return None  # getProperties, newXxxVector, ...: not for a client
        if vector.error:
            return Malformed(vector.tag, attrs.get("device"), attrs.get("name"), vector.error)
        try:
            if vector.is_definition:
                return self._definition(vector)
            return self._update(vector)
        except ValueError as error:
            return Malformed(vector.tag, attrs.get("device"), attrs.get("name"), str(error))

    def _definition(self, vector: _Vector) -> DefVector:
        a = vector.attrs
        elements = tuple(
            ElementDefinition(
                name=child["name"], label=child.get("label", child["name"]), value=value,
                minimum=_optional_float(child.get("min")),
                maximum=_optional_float(child.get("max")),
                step=_optional_float(child.get("step")), format=child.get("format"),
            )
            for child, value in vector.children
        )
        return DefVector(
            kind=vector.kind, device=a["device"], name=a["name"], label=a.get("label", a["name"]),
            group=a.get("group", ""), state=State(a.get("state", "Idle")),
            perm=a.get("perm", "ro"), rule=a.get("rule"),
            timeout=_optional_float(a.get("timeout")) or 0.0, timestamp=a.get("timestamp", ""),
            message=a.get("message", ""), elements=elements,
        )

    def _update(self, vector: _Vector) -> SetVector:
        a = vector.attrs
        return SetVector(
            kind=vector.kind, device=a["device"], name=a["name"],
            state=State(a["state"]) if "state" in a else None,
            timeout=_optional_float(a.get("timeout")), timestamp=a.get("timestamp", ""),
            message=a.get("message", ""),
            values={child["name"]: value for child, value in vector.children
                    if value is not None},
        )

    def _fail_vector(self, reason: str) -> None:
        if self._vector is not None and self._vector.error is None:
            self._vector.error = reason

    # --- elements of a vector -------------------------------------------------------

    def _start_child(self, tag: str, attrs: dict[str, str]) -> None:
        self._reset_text()
        vector = self._vector
        if vector is None or vector.tag in ("message", "delProperty"):
            return
        expected = (_DEF_CHILD if vector.is_definition else _SET_CHILD)[vector.kind]
        if tag != expected or "name" not in attrs:
            self._fail_vector(f"<{tag}> is not a named <{expected}>")
            return
        self._child = attrs
        if tag == "oneBLOB":
            self._start_blob(vector, attrs)

    def _start_blob(self, vector: _Vector, attrs: dict[str, str]) -> None:
        try:
            size = int(attrs.get("size", "0"))
        except ValueError:
            size = -1
        header = BlobHeader(vector.attrs.get("device", ""), vector.attrs.get("name", ""),
                            attrs["name"], attrs.get("format", ""), size)
        out = self._open_blob(header) if self._open_blob and vector.error is None else None
        self._blob = Base64Sink(out)
        self._blob_stored = out is not None

    def _end_child(self, tag: str) -> None:
        child, self._child = self._child, None
        vector = self._vector
        if child is None or vector is None:
            return
        if tag == "oneBLOB":
            vector.children.append((child, self._end_blob(child)))
        elif tag == "defBLOB":
            vector.children.append((child, None))
        else:
            try:
                vector.children.append(
                    (child, _parse_value(vector.kind, "".join(self._text_parts)))
                )
            except ValueError as error:
                self._fail_vector(f"{child['name']}: {error}")
        self._reset_text()

    def _end_blob(self, child: dict[str, str]) -> BlobValue | None:
        sink, self._blob = self._blob, None
        if sink is None:
            return None
        try:
            received = sink.close()
        except ValueError as error:
            self._fail_vector(str(error))
            return None
        size = int(child.get("size", "0")) if child.get("size", "").isdigit() else -1
        return BlobValue(child.get("format", ""), size, received, self._blob_stored)

    def _reset_text(self) -> None:
        self._text_parts = []
        self._text_size = 0


# --- what a client sends --------------------------------------------------------------


def _attributes(**attrs: str | None) -> str:
    return "".join(f" {k}={quoteattr(v)}" for k, v in attrs.items() if v is not None)


def get_properties(device: str | None = None, name: str | None = None) -> bytes:
    """Ask for the definitions of all properties (of a device, or one property)."""
    return f"<getProperties{_attributes(version=PROTOCOL_VERSION, device=device, name=name)}/>\n" \
        .encode()


def enable_blob(device: str, mode: str = "Also", name: str | None = None) -> bytes:
    """Ask the server to send (``Also``/``Only``) or not (``Never``) a device's BLOBs."""
    if mode not in ("Never", "Also", "Only"):
        raise ValueError(f"enableBLOB mode must be Never, Also or Only, not {mode!r}")
    return f"<enableBLOB{_attributes(device=device, name=name)}>{mode}</enableBLOB>\n".encode()


def format_value(kind: Kind, value: str | float | bool) -> str:
    if kind is Kind.SWITCH:
        if not isinstance(value, bool):
            raise ValueError(f"a switch takes True or False, not {value!r}")
        return "On" if value else "Off"
    if kind is Kind.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"a number element takes a number, not {value!r}")
        return repr(float(value))
    if kind is Kind.TEXT:
        return escape(str(value))
    raise ValueError(f"a client cannot set {kind.value} properties")


def new_vector(kind: Kind, device: str, name: str,
               values: Mapping[str, str | float | bool]) -> bytes:
    """A ``newXxxVector`` order setting ``values`` (element name to value)."""
    if not values:
        raise ValueError("a new vector needs at least one element")
    child = f"one{kind.value}"
    body = "".join(f"<{child}{_attributes(name=element)}>{format_value(kind, value)}</{child}>"
                   for element, value in values.items())
    return f"<new{kind.value}Vector{_attributes(device=device, name=name)}>{body}" \
           f"</new{kind.value}Vector>\n".encode()
