"""How the device pages write status values: RA in hours, minutes and seconds, Dec in
degrees, minutes and seconds, and so on. ``static/instruments/instruments.js`` writes
the same formats when it refreshes the pages; keep the two in step.

Rounding is half up (as JavaScript's Math.round), never Python's half to even, so that
the server and the browser write the same text for the same value.
"""

from __future__ import annotations

import math

MISSING = "\N{EN DASH}"


def _half_up(value: float) -> int:
    return math.floor(value + 0.5)


def hms(degrees: float) -> str:
    """Right ascension: 150.0 -> '10h 00m 00.0s'."""
    tenths = _half_up((degrees % 360.0) / 15.0 * 36_000) % (24 * 36_000)
    hours, rest = divmod(tenths, 36_000)
    minutes, rest = divmod(rest, 600)
    return f"{hours:02d}h {minutes:02d}m {rest // 10:02d}.{rest % 10}s"


def dms(degrees: float) -> str:
    """Declination: -20.5 -> -20 degrees 30 minutes 00 seconds, with the signs of arc."""
    sign = "-" if degrees < 0 else "+"
    seconds = _half_up(abs(degrees) * 3600)
    whole, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{whole:02d}\N{DEGREE SIGN} {minutes:02d}\N{PRIME} {secs:02d}\N{DOUBLE PRIME}"


def fixed(value: float, digits: int) -> str:
    scale = 10 ** digits
    number = _half_up(abs(value) * scale) / scale
    sign = "-" if value < 0 and number != 0 else ""
    return f"{sign}{number:.{digits}f}"


def display(value: object, kind: str = "text") -> str:
    """``value`` written as ``kind``: hms, dms, deg, hours, flag, celsius, setpoint,
    percent, seconds, int or text. A missing value is a dash (a set-point: the cooler is off)."""
    if value is None or value == "":
        return "off" if kind == "setpoint" else MISSING
    if kind == "flag":
        return "yes" if value else "no"
    if kind == "text" or not isinstance(value, int | float) or isinstance(value, bool):
        return str(value)
    number = float(value)
    if kind == "hms":
        return hms(number)
    if kind == "dms":
        return dms(number)
    if kind == "deg":
        return f"{fixed(number, 2)}\N{DEGREE SIGN}"
    if kind == "hours":
        return f"{'+' if number >= 0 else ''}{fixed(number, 2)} h"
    if kind in ("celsius", "setpoint"):
        return f"{fixed(number, 1)} \N{DEGREE SIGN}C"
    if kind == "seconds":
        return f"{fixed(number, 1)} s"
    if kind == "percent":
        return f"{fixed(number, 0)} %"
    if kind == "int":
        return str(_half_up(number))
    return str(value)
