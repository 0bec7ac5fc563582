"""Dates read from outside (``night=``, ``from=``, ``to=`` in a page's or the API's
query), bounded to the years an observatory's computations handle. Plain Python, a
leaf. ``night=0001-01-01`` is a valid ISO date, but the evening before it, its sunset
or its Julian date overflowed ``datetime`` (OverflowError, a 500 on a public page);
the bounds make it a sentence instead."""

from __future__ import annotations

from datetime import date

from pyros.safejson import safe_text

EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)


def parse_day(raw: str, name: str, hint: str = "") -> date:
    """``raw`` as ``YYYY-MM-DD`` between :data:`EARLIEST` and :data:`LATEST`, or
    ValueError with a sentence that names ``name`` (``hint`` after the format) and
    never echoes invalid text."""
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        day = date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{name} must be a date YYYY-MM-DD{hint}, "
                         f"not '{safe_text(raw, 40)}'") from None
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"{name} must be between {EARLIEST} and {LATEST}, not {day}")
    return day
