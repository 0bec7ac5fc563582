"""Right ascension and declination as people write them: decimal degrees, or
sexagesimal (``12:34:56.7``, ``12 34 56.7``, ``12h34m56.7s`` for a right ascension in
hours; ``+12:34:56``, ``-05 30 00``, ``+12d34m56s``, ``12°34'56"`` for a declination in
degrees). Every way into a request (XML, JSON, the API, the web builder) reads them
here, before the spec checks the range.

Plain Python: no astropy, so that a request file is read without loading it.
"""

from __future__ import annotations

import math
import re

# Two or three fields: hours or degrees, minutes, optional seconds; separated by colons,
# spaces, or the letters/symbols of each unit.
_SEXAGESIMAL = re.compile(
    r"""^\s*(?P<sign>[+-])?\s*
        (?P<a>\d{1,3})\s*(?:[:\s]|h|d|°)\s*
        (?P<b>\d{1,2}(?:\.\d+)?)\s*(?:[:\s]|m|'|′)?\s*
        (?:(?P<c>\d{1,2}(?:\.\d*)?)\s*(?:s|"|″)?)?\s*$""",
    re.VERBOSE | re.IGNORECASE)
_NUMBER = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")


def _parts(text: str, what: str) -> tuple[float, float, float, float]:
    match = _SEXAGESIMAL.match(text)
    if not match:
        example = "12:34:56.7 or 12h34m56.7s" if what == "right ascension" \
            else "+12:34:56 or -05 30 00"
        raise ValueError(f"'{text[:40]}' is not a {what} (degrees, or sexagesimal "
                         f"such as {example})")
    sign = -1.0 if match["sign"] == "-" else 1.0
    minutes, seconds = float(match["b"]), float(match["c"] or 0.0)
    if minutes >= 60 or seconds >= 60:
        raise ValueError(f"'{text[:40]}': minutes and seconds must be below 60")
    return sign, float(match["a"]), minutes, seconds


def _number(text: str) -> float | None:
    if _NUMBER.match(text):
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(f"'{text[:40]}' is not a finite number")
        return value
    return None


def _read(value: object, what: str) -> object | tuple[float, float, float, float]:
    """A number (or anything not text) as it is; a sexagesimal text as its parts."""
    if not isinstance(value, str):
        return value
    number = _number(value)
    return number if number is not None else _parts(value, what)


def parse_ra(value: object) -> object:
    """Degrees from a right ascension: a number stays as it is (degrees), a
    sexagesimal text is hours, minutes, seconds. Anything else is left for the spec to
    refuse with its own message."""
    read = _read(value, "right ascension")
    if not isinstance(read, tuple):
        return read
    sign, hours, minutes, seconds = read
    if sign < 0:
        raise ValueError(f"'{str(value)[:40]}': a right ascension is not negative")
    if hours >= 24:
        raise ValueError(f"'{str(value)[:40]}': a sexagesimal right ascension is in hours, "
                         "below 24")
    return (hours + minutes / 60 + seconds / 3600) * 15.0


def parse_dec(value: object) -> object:
    """Degrees from a declination: a number as it is, a sexagesimal text is degrees,
    arcminutes, arcseconds (the sign applies to the whole: ``-00 30 00`` is -0.5)."""
    read = _read(value, "declination")
    if not isinstance(read, tuple):
        return read
    sign, degrees, minutes, seconds = read
    return sign * (degrees + minutes / 60 + seconds / 3600)
