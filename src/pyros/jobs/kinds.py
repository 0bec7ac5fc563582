"""The kinds of job and the function that runs each, by dotted path: the job runner
imports the app that owns the work only when it runs one of its jobs.

A kind's function takes the job's parameters (already checked when it was submitted)
and returns its JSON-ready result; it raises :class:`JobError` with a message for the
user when the work cannot be done.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

SIMULATION = "simulation"

KINDS: dict[str, str] = {
    SIMULATION: "pyros.scheduling.jobs:run_simulation_job",
}

JobFunction = Callable[[dict[str, Any]], dict[str, Any]]


class JobError(Exception):
    """Work that cannot be done, with a message the user can act on."""


def function_of(kind: str) -> JobFunction:
    try:
        module, name = KINDS[kind].split(":")
    except KeyError:
        raise JobError(f"unknown kind of job '{kind}'") from None
    return getattr(import_module(module), name)
