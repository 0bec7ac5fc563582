"""Waking agents and senders without waiting: PostgreSQL LISTEN/NOTIFY where the
database is PostgreSQL, short polling (``POLL_INTERVAL``) on SQLite and MariaDB.

A ``Waiter`` blocks until something may have happened on its channel or the timeout
passes; callers then look at the database, so a spurious wake-up costs one query and a
missed notification only costs the polling interval.
"""

from __future__ import annotations

import threading
import time

from django.db import connection

COMMANDS_CHANNEL = "pyros_commands"  # payload: the recipient's name
RESULTS_CHANNEL = "pyros_results"  # payload: the command's id
POLL_INTERVAL = 0.02  # seconds, on databases without notifications


def uses_notifications() -> bool:
    return connection.vendor == "postgresql"


def notify(channel: str, payload: str) -> None:
    """Tell listeners on ``channel``; delivered when the current transaction commits."""
    if uses_notifications():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [channel, payload])


class Waiter:
    """Waits for notifications on one channel whose payload is one of ``payloads``
    (all payloads when None)."""

    def __init__(self, channel: str, payloads: set[str] | None = None) -> None:
        self.channel = channel
        self.payloads = payloads
        self._listener = None
        self._lock = threading.Lock()
        if uses_notifications():
            self._listener = self._listen()

    def _listen(self):
        import psycopg
        from psycopg import sql

        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        params.pop("prepare_threshold", None)
        listener = psycopg.connect(**params, autocommit=True)
        listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
        return listener

    def wait(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds; True if woken by a matching notification."""
        if timeout <= 0:
            return False
        if self._listener is None:
            time.sleep(min(timeout, POLL_INTERVAL))
            return False
        deadline = time.monotonic() + timeout
        with self._lock:
            while (left := deadline - time.monotonic()) > 0:
                for note in self._listener.notifies(timeout=left, stop_after=1):
                    if self.payloads is None or note.payload in self.payloads:
                        return True
        return False

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def __enter__(self) -> Waiter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
