"""Query parameters of the REST API, read with a message that names what is wrong
(answered 400 by DRF). A leaf module: every app's API may use it."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError


def int_param(params: Any, name: str, default: int, low: int, high: int) -> int:
    """A whole number between ``low`` and ``high``, ``default`` when absent."""
    raw = params.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ParseError(f"{name} must be a whole number, not '{raw}'") from None
    if not low <= value <= high:
        raise ParseError(f"{name} must be between {low} and {high}")
    return value
