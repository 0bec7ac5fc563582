"""Waking agents and senders without waiting: PostgreSQL LISTEN/NOTIFY where the
database is PostgreSQL, short polling (``POLL_INTERVAL``) on SQLite and MariaDB.

On PostgreSQL the notifications come from a trigger on the command table (migration
0002): a new command notifies ``pyros_commands`` with its recipient's name, a command
that ends notifies ``pyros_results`` with its id. Writers do nothing special.

A ``Waiter`` blocks until something may have happened or the timeout passes; callers
then look at the database, so a spurious wake-up costs one query and a missed
notification costs at most the polling interval.
"""

from __future__ import annotations

import threading
import time

from django.db import DatabaseError, connection

COMMANDS_CHANNEL = "pyros_commands"  # payload: the recipient's name
RESULTS_CHANNEL = "pyros_results"  # payload: the command's id
POLL_INTERVAL = 0.02  # seconds, on databases without notifications
RELISTEN_AFTER = 2.0  # seconds between two attempts to listen again after a lost link


def uses_notifications() -> bool:
    return connection.vendor == "postgresql"


def wake(recipient: str) -> None:
    """Wake ``recipient``'s main loop now (PostgreSQL); elsewhere it polls anyway.

    Best effort: a wake that cannot reach the database (a cut link) costs the recipient
    at most its next period, so it never fails its caller (a motion, a command that did
    its work); this thread's broken connection is closed so that its next query opens a
    new one instead of failing with "the connection is closed"."""
    if not uses_notifications():
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [COMMANDS_CHANNEL, recipient])
    except DatabaseError:
        if not connection.in_atomic_block:
            connection.close()


class Waiter:
    """Listens on one channel for as long as it lives; ``wait`` returns early when a
    notification with one of the wanted payloads arrives."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self._notified = uses_notifications()
        self._listener = None
        self._next_listen = 0.0
        if self._notified:
            self._relisten()

    def _listen(self):
        import psycopg
        from psycopg import sql

        params = connection.get_connection_params()
        for django_only in ("cursor_factory", "context", "prepare_threshold"):
            params.pop(django_only, None)
        listener = psycopg.connect(**params, autocommit=True)
        listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
        return listener

    def _relisten(self) -> None:
        """(Re)open the listening connection; when the database cannot be reached, wait
        by sleeping and try again after RELISTEN_AFTER seconds: an agent whose database
        is away (a cut link, a restarted server) must go on, and its loop's own queries
        say when the database is back."""
        import psycopg

        self.close()
        self._next_listen = time.monotonic() + RELISTEN_AFTER
        try:
            self._listener = self._listen()
        except psycopg.Error:
            self._listener = None

    def wait(self, timeout: float, payloads: set[str] | None = None) -> bool:
        """Block up to ``timeout`` seconds; True if woken by a wanted notification
        (any payload when ``payloads`` is None)."""
        import psycopg

        if timeout <= 0:
            return False
        if not self._notified:
            time.sleep(min(timeout, POLL_INTERVAL))
            return False
        if self._listener is None or self._listener.broken or self._listener.closed:
            if time.monotonic() < self._next_listen:
                time.sleep(min(timeout, POLL_INTERVAL * 10))
                return False
            self._relisten()
            if self._listener is None:
                return False
        deadline = time.monotonic() + timeout
        try:
            while (left := deadline - time.monotonic()) > 0:
                for note in self._listener.notifies(timeout=left, stop_after=1):
                    if payloads is None or note.payload in payloads:
                        return True
        except psycopg.Error:  # the link went: listen again later, look meanwhile
            self.close()
            return False
        return False

    @property
    def is_closed(self) -> bool:
        """A closed waiter, or one whose connection broke: time for a new one."""
        if self._listener is None:
            return self._notified
        return self._listener.closed or self._listener.broken

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def __enter__(self) -> Waiter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_shared = threading.local()


def results_waiter() -> Waiter:
    """This thread's listener for command results, opened once: a sender waiting for
    many commands should not open a connection for each."""
    waiter = getattr(_shared, "results", None)
    if waiter is None or waiter.is_closed:
        waiter = _shared.results = Waiter(RESULTS_CHANNEL)
    return waiter


def close_results_waiter() -> None:
    """Close this thread's results listener (tests close it before dropping databases)."""
    waiter = getattr(_shared, "results", None)
    if waiter is not None:
        waiter.close()
        _shared.results = None
