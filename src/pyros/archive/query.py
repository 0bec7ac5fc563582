"""The archive's query parameters read into :class:`~pyros.archive.search.Filters`, each
mistake a :class:`~pyros.archive.search.SearchError` naming the parameter (the API
answers it 400): whatever a client sends, the database sees only well-formed values.

Bounds matter beyond politeness: an id past 2⁶³ or a NUL byte in a name is a 500 on
PostgreSQL, a string longer than the column a warning on MariaDB.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Protocol

from pyros.archive.search import Cone, Filters, SearchError
from pyros.dates import parse_day

MAX_ID = 2**63 - 1
MAX_TEXT = 100
MAX_LEVEL = 32767  # a PositiveSmallIntegerField
_WHOLE = re.compile(r"[+-]?[0-9]{1,20}")


class Params(Protocol):
    def get(self, key: str, default: str = ...) -> str | None: ...


def text(params: Params, name: str) -> str:
    raw = params.get(name, "") or ""
    if "\x00" in raw or any(ord(c) < 32 for c in raw):
        raise SearchError(f"{name} must not contain control characters")
    if len(raw) > MAX_TEXT:
        raise SearchError(f"{name} must be at most {MAX_TEXT} characters")
    return raw.strip()


def whole(params: Params, name: str, low: int = 0, high: int = MAX_ID) -> int | None:
    raw = text(params, name)
    if raw == "":
        return None
    if not _WHOLE.fullmatch(raw):
        raise SearchError(f"{name} must be a whole number, not '{raw}'")
    value = int(raw)
    if not low <= value <= high:
        raise SearchError(f"{name} must be between {low} and {high}")
    return value


def day(params: Params, name: str) -> date | None:
    raw = text(params, name)
    if raw == "":
        return None
    try:
        return parse_day(raw, name)
    except ValueError as exc:
        raise SearchError(str(exc)) from None


def degrees(params: Params, name: str) -> float | None:
    raw = text(params, name)
    if raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise SearchError(f"{name} must be a number of degrees, not '{raw}'") from None
    if not math.isfinite(value):
        raise SearchError(f"{name} must be a finite number of degrees")
    return value


def cone(params: Params) -> Cone | None:
    """All of ra, dec and radius, or none of them."""
    values = {name: degrees(params, name) for name in ("ra", "dec", "radius")}
    given = [name for name, value in values.items() if value is not None]
    if not given:
        return None
    if len(given) != 3:
        missing = ", ".join(name for name in values if name not in given)
        raise SearchError(f"a cone search needs ra, dec and radius together: {missing} missing")
    return Cone(**values)  # type: ignore[arg-type]  # its own bounds: SearchError


def filters(params: Params) -> Filters:
    """Every filter of the list, the zip and the command line, checked."""
    return Filters(
        night_from=day(params, "night_from"), night_to=day(params, "night_to"),
        target=text(params, "target"), cone=cone(params), filter=text(params, "filter"),
        frame_type=text(params, "frame_type"), product=text(params, "product").upper(),
        reduction_level=whole(params, "reduction_level", 0, MAX_LEVEL),
        program=text(params, "program"), request=whole(params, "request", 1),
        channel=text(params, "channel"))
