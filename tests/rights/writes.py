"""What a request wrote to PyROS's own tables, seen from the database connection.

A refused write must leave nothing behind: the penetration test of issue 17 found
``PUT /api/requests/ID/`` saving the change, then answering 404. Comparing the whole
database before and after each of the matrix's thousands of tries would be slow;
watching the statements is cheap and catches every route: an INSERT, UPDATE or DELETE
on a table of a ``pyros`` app during a refused try is a failure, whatever the route.
Tables of Django and third-party apps (sessions, tokens, login attempts) are not
watched: a refusal may legitimately count a failed attempt there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.apps import apps
from django.db import connection

_WRITE = re.compile(r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+[`\"]?(\w+)",
                    re.IGNORECASE)


def pyros_tables() -> frozenset[str]:
    return frozenset(model._meta.db_table for model in apps.get_models()
                     if model.__module__.startswith("pyros."))


@contextmanager
def recorded_writes() -> Iterator[list[str]]:
    """The write statements to PyROS tables executed inside the block (first 120
    characters of each), in order."""
    tables = pyros_tables()
    writes: list[str] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        found = _WRITE.match(sql)
        if found and found.group(1) in tables:
            writes.append(sql[:120])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield writes
