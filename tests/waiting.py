"""Waiting for something other processes or threads do: on a condition, never a fixed
sleep, with a timeout generous enough for a loaded machine (a test that passes waits only
as long as the condition takes; the timeout only bounds a failure)."""

from __future__ import annotations

import time
from collections.abc import Callable

#: Seconds of wall time: a few hundred times what the conditions take on an idle machine.
GENEROUS = 60.0


def wait_until(condition: Callable[[], object], what: str = "the condition",
               timeout: float = GENEROUS, explain: Callable[[], str] | None = None,
               interval: float = 0.02) -> None:
    """Return once ``condition()`` is true; fail naming ``what`` (and ``explain()``, the
    state worth seeing) after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            detail = f"\n{explain()}" if explain else ""
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}{detail}")
        time.sleep(interval)
