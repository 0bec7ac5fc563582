"""``{{ value|show:"hms" }}``: a device value written the way the pages write it."""

from django import template

from pyros.agents.views import format_duration
from pyros.instruments.display import display

register = template.Library()


@register.filter
def show(value: object, kind: str = "text") -> str:
    return display(value, kind)


@register.filter
def age(seconds: float | None) -> str:
    """How old a status is: "read 3 s ago", or that none was ever read."""
    if seconds is None:
        return "no status read yet"
    return f"read {format_duration(seconds)} ago"
