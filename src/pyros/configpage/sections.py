"""The configuration in use, section by section, as rows of key and value for the page;
secrets masked (the database URL's password, any key named like a password)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from pyros.config.editing import MASK
from pyros.config.schema import UnitConfig

_SECRET_KEY = re.compile(r"password|passwd|secret|token", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)([^@\s]+)(@)")


@dataclass(frozen=True)
class Section:
    name: str
    rows: list[tuple[str, str]]


def _shown(key: str, value: Any) -> str:
    if isinstance(value, str):
        if _SECRET_KEY.search(key) and value:
            return MASK
        return json.dumps(_URL_PASSWORD.sub(rf"\g<1>{MASK}\g<3>", value), ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False, default=str)


def _rows(prefix: str, value: Any) -> list[tuple[str, str]]:
    """Tables flattened to dotted keys; lists of tables indexed (``channels[0].name``);
    lists of plain values on one row."""
    if isinstance(value, dict):
        rows = []
        for key, item in value.items():
            rows += _rows(f"{prefix}.{key}" if prefix else str(key), item)
        return rows
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        rows = []
        for index, item in enumerate(value):
            rows += _rows(f"{prefix}[{index}]", item)
        return rows
    return [(prefix, _shown(prefix.rsplit(".", 1)[-1], value))]


def sections_of(unit: UnitConfig) -> list[Section]:
    """One section per top-level key of the schema, in the schema's order; the unit's
    name first, on its own."""
    data = unit.model_dump(mode="json")
    sections = []
    for name in UnitConfig.model_fields:
        value = data[name]
        rows = _rows("", value) if isinstance(value, dict) else _rows(name, value)
        if isinstance(value, list):
            rows = [(key.removeprefix(name), shown) for key, shown in rows]
        sections.append(Section(name, rows))
    return sections
