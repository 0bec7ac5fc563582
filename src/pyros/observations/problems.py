"""Validation problems that name the element and the field, for people to act on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

#: The singular names of the nested lists of a request, as users know them.
_CHILDREN = {"sequences": "sequence", "albums": "album", "plans": "plan"}


@dataclass(frozen=True)
class Problem:
    """What is wrong (``message``), in which element (``where``) and which field."""

    where: str
    field: str | None
    message: str
    line: int | None = None

    def __str__(self) -> str:
        prefix = f"line {self.line}: " if self.line else ""
        target = f"{self.where}, field '{self.field}'" if self.field else self.where
        return f"{prefix}{target}: {self.message}"


@dataclass
class RequestInvalid(Exception):
    """A request that cannot be stored; ``problems`` lists every reason found."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        count = len(self.problems)
        head = f"the request is invalid ({count} problem{'s' if count != 1 else ''})"
        return head + "".join(f"\n  - {p}" for p in self.problems)


def element_path(loc: Sequence[int | str], data: Any) -> tuple[str, tuple[int | str, ...]]:
    """Describe where ``loc`` points in ``data`` (a request as a dict), e.g.
    ``sequence 1 'Sequence1' > album 1 'alb'``; also return the element's own loc."""
    parts = ["request"]
    node: Any = data
    name = node.get("name") if isinstance(node, Mapping) else None
    if name:
        parts[0] = f"request '{name}'"
    element_loc: tuple[int | str, ...] = ()
    i = 0
    while i + 1 < len(loc) and loc[i] in _CHILDREN and isinstance(loc[i + 1], int):
        key, index = loc[i], loc[i + 1]
        element_loc += (key, index)
        try:
            node = node[key][index]
        except (KeyError, IndexError, TypeError):
            node = None
        label = f"{_CHILDREN[str(key)]} {int(index) + 1}"
        if isinstance(node, Mapping) and node.get("name"):
            label += f" '{node['name']}'"
        parts.append(label)
        i += 2
    return " > ".join(parts), element_loc


def problems_from_validation(
    error: ValidationError,
    data: Any,
    field_names: Mapping[str, str] | None = None,
    lines: Mapping[tuple[int | str, ...], int] | None = None,
) -> list[Problem]:
    """Turn pydantic's errors into Problems. ``field_names`` renames fields for a file
    format (the XML calls a plan's exposure ``duration``); ``lines`` gives each
    element's source line."""
    problems = []
    for item in error.errors():
        loc = tuple(item["loc"])
        where, element_loc = element_path(loc, data)
        rest = [str(p) for p in loc[len(element_loc):]]
        field_name = rest[0] if rest else None
        if field_name and field_names:
            field_name = field_names.get(field_name, field_name)
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field"
        elif item["type"] == "missing":
            message = "required, but missing"
        if len(rest) > 1:
            message = f"{'.'.join(rest[1:])}: {message}"
        line = lines.get(element_loc) if lines else None
        problems.append(Problem(where, field_name, message, line))
    return problems
