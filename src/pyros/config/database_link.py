"""How long a process waits for a database it cannot reach before it is told so.

On two computers (the telescope's and the server's) the database is across a network
link. When that link is cut, packets vanish without an error: with the connection's
defaults, a query then waits for the kernel to give up on TCP (about fifteen minutes),
and an agent waiting on it neither beats nor decides. The majordome could not know that
it cannot establish safety any more, and only the devices' own watchdog would close.

These libpq options turn a silent link into an error within ``link_timeout()`` seconds,
which the agents already handle (they reconnect with back-off; the majordome closes and
parks, see ``majordome/agent.py``):

- ``connect_timeout``: a new connection that gets no answer;
- ``tcp_user_timeout``: a query sent and never acknowledged (the link cut while talking);
- ``keepalives_*``: a connection waiting for an answer or a notification (LISTEN) whose
  other end went silent.

None of them limits a slow query: the server's kernel acknowledges and answers
keepalives while the query runs.
"""

from __future__ import annotations

import os

LINK_TIMEOUT_VARIABLE = "PYROS_DB_LINK_TIMEOUT"
DEFAULT_LINK_TIMEOUT = 10.0  # seconds: well under close_within, well over a busy LAN's hiccup
MIN_LINK_TIMEOUT = 3.0  # libpq's connect_timeout takes whole seconds, 2 at least


def link_timeout() -> float:
    """Seconds from a silent link to an error (``PYROS_DB_LINK_TIMEOUT``, default 10)."""
    text = os.environ.get(LINK_TIMEOUT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_LINK_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{LINK_TIMEOUT_VARIABLE}={text!r} is not a number of seconds") \
            from None
    if not MIN_LINK_TIMEOUT <= value <= 600.0:
        raise ValueError(f"{LINK_TIMEOUT_VARIABLE}={text!r}: between {MIN_LINK_TIMEOUT:g} "
                         "and 600 seconds")
    return value


def postgresql_options(timeout: float | None = None) -> dict[str, int]:
    """libpq connection parameters that give up on a silent link within ``timeout``."""
    seconds = link_timeout() if timeout is None else timeout
    # Keepalives: the first probe after a third of the time, then three probes that
    # share what is left; the connection is dropped when none is answered.
    idle = max(1, int(seconds / 3))
    interval = max(1, int((seconds - idle) / 3))
    return {"connect_timeout": max(2, int(seconds)), "keepalives": 1,
            "keepalives_idle": idle, "keepalives_interval": interval,
            "keepalives_count": 3, "tcp_user_timeout": int(seconds * 1000)}
