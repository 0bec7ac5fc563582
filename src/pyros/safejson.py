"""JSON from outside (an API body, an uploaded request or simulation file, a strategy
pasted in a page), decoded only if every database stores it and every reader takes it
back. Plain Python, a leaf: the web layer, the stores and the core use it.

Why each refusal (issue 17, point 5): Python's decoder recurses, and JSON nested a few
thousand deep raised RecursionError, a 500 on every JSON endpoint; ``1e400`` decodes to
infinity and ``NaN`` is accepted, neither of which JSON columns or later readers take;
an integer past 64 bits overflows every database's integer columns; a lone surrogate
(``"\\ud800"``) cannot be written as UTF-8, so it broke the error message that echoed it
and the database write; PostgreSQL refuses NUL (``"\\u0000"``) in text. Each raises
:class:`JSONInputError` with a sentence that names the place, never the bad text itself.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

#: Deeper than any document PyROS reads (a request is 5 levels, a strategy 4).
MAX_DEPTH = 64
#: Integers every database's 64-bit columns hold.
INT_LIMIT = 2**63 - 1

#: A string, or an unterminated one to the end (so that no text is scanned twice).
_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+(?:"|\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
#: The escapes that decode to NUL or a surrogate: without one, no string needs a look.
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|d[89a-f])", re.IGNORECASE)


class JSONInputError(ValueError):
    """JSON that PyROS refuses; the message says why and where, without echoing it."""


def too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether ``text`` nests arrays and objects deeper than ``limit``, counted without
    parsing (strings skipped) and stopping as soon as it is: the cost is bounded by
    the brackets before that point, whatever the size of the text."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for bracket in _NOT_BRACKET.sub("", _STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        if depth > limit:
            return True
    return False


def safe_text(text: str, length: int = 60) -> str:
    """``text`` fit to be echoed in a message: shortened, lone surrogates and control
    characters replaced, so the message itself always encodes."""
    cleaned = _LONE_SURROGATE.sub("\ufffd", text[:length])
    cleaned = "".join(c if c.isprintable() else "\ufffd" for c in cleaned)
    return cleaned + ("…" if len(text) > length else "")


def check_value(value: Any, where: str = "", depth: int = 0, *, numbers: bool = True) -> None:
    """Refuse, in already-decoded data (TOML, or JSON with a suspect escape), what
    :func:`loads` refuses: nesting past :data:`MAX_DEPTH`, a lone surrogate or NUL in a
    key or a string, and with ``numbers`` a number that is not finite or an integer
    past 64 bits."""
    place = where or "the document"
    if depth > MAX_DEPTH:
        raise JSONInputError(f"{place}: nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        if "\x00" in value:
            raise JSONInputError(f"{place}: a NUL character (\\u0000) is not allowed in text")
        if _LONE_SURROGATE.search(value):
            raise JSONInputError(f"{place}: not valid text "
                                 "(a lone UTF-16 surrogate such as \\ud800)")
    elif isinstance(value, bool):
        pass
    elif isinstance(value, float):
        if numbers and not math.isfinite(value):
            raise JSONInputError(f"{place}: {value} is not a finite number")
    elif isinstance(value, int):
        if numbers and abs(value) > INT_LIMIT:
            raise JSONInputError(f"{place}: an integer beyond 64 bits")
    elif isinstance(value, dict):
        for key, item in value.items():
            name = safe_text(str(key), 40)
            name = f"{where}.{name}" if where else name
            check_value(key, f"{name} (key)", depth + 1, numbers=numbers)
            check_value(item, name, depth + 1, numbers=numbers)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_value(item, f"{where}[{index}]", depth + 1, numbers=numbers)


def loads(data: str | bytes, max_depth: int = MAX_DEPTH, *, numbers: bool = True) -> Any:
    """Decode ``data`` (UTF-8 when bytes) as JSON PyROS accepts, or raise
    :class:`JSONInputError`. ``numbers=False`` lets non-finite and huge numbers through
    for a caller that checks every number itself and names its field (a request file:
    its spec says "field 'duration': …")."""
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JSONInputError(f"not UTF-8 text (byte {exc.start})") from None
    if too_deep(data, max_depth):
        raise JSONInputError(f"nested deeper than {max_depth} levels")
    # The hooks only note what check_value then finds and names by its place: most
    # bodies need no walk at all.
    suspect: list[str] = []

    def parse_float(text: str) -> float:
        value = float(text)
        if not math.isfinite(value):
            suspect.append(text)
        return value

    def parse_int(text: str) -> int:
        value = int(text)
        if abs(value) > INT_LIMIT:
            suspect.append(text)
        return value

    def parse_constant(name: str) -> float:
        suspect.append(name)
        return float(name)

    try:
        value = json.loads(data, parse_constant=parse_constant, parse_float=parse_float,
                           parse_int=parse_int)
    except json.JSONDecodeError as exc:
        raise JSONInputError(f"not valid JSON: {exc.msg} (line {exc.lineno}, "
                             f"column {exc.colno})") from None
    except (ValueError, RecursionError) as exc:  # int digits limit; a nesting we missed
        raise JSONInputError(f"not valid JSON: {safe_text(str(exc), 120)}") from None
    if (suspect and numbers) or _SUSPECT_ESCAPE.search(data) or _LONE_SURROGATE.search(data):
        check_value(value, numbers=numbers)
    return value
