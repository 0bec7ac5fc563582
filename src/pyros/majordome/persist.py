"""Writes of the executor's thread that a short database outage must not lose.

The fault night restarted PostgreSQL while a sequence executed: two frames written to
disk had no Image row (``on_image`` failed once and gave up), and the sequence's end
could not be written, so it stayed EXECUTING with nobody executing it until the next
majordome restart. The main loop recovers from a database error by reconnecting; the
executor's thread had no such recovery (Django never reopens a broken connection by
itself outside a web request). Here each such write is tried again on a new connection,
with a growing pause, for up to ``RETRY_FOR`` seconds; the writes themselves are made
safe to repeat (a write whose commit went through but whose answer was lost must not
be done twice)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import DatabaseError, connection

T = TypeVar("T")

RETRY_FOR = 120.0  # wall seconds: a server restart takes seconds, a failover a minute
FIRST_PAUSE = 0.2
MAX_PAUSE = 5.0


def persist(write: Callable[[int], T], what: str, log: logging.Logger,
            retry_for: float = RETRY_FOR) -> T:
    """``write(attempt)`` (0 first), again on a fresh connection after a database error
    until it succeeds or ``retry_for`` wall seconds have passed (then the error is
    raised)."""
    deadline = time.monotonic() + retry_for
    pause, attempt = FIRST_PAUSE, 0
    while True:
        try:
            return write(attempt)
        except DatabaseError as exc:
            connection.close()
            if time.monotonic() + pause > deadline:
                raise
            log.warning("%s: the database failed (%s); trying again in %.1f s", what,
                        str(exc).strip().splitlines()[0] if str(exc).strip() else exc,
                        pause)
            time.sleep(pause)
            pause, attempt = min(pause * 2, MAX_PAUSE), attempt + 1
