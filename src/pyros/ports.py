"""Free loopback ports for the servers PyROS starts on its own: simulators, the local
broker of a benchmark, test servers.

Asking the kernel for port 0 and closing the socket leaves a window in which the port is
free for anyone: another test worker's probe, or the kernel itself, which hands ports of
the same (ephemeral) range to outgoing connections. Several test runs side by side lost
that race (a broker "already in use", a client talking to someone else's server). So
when ``PYROS_PORT_RANGE`` (``low-high``) is set, ports come from that range only, in
turn, each checked free before it is given: give every process that runs alongside
others a range of its own, outside the kernel's ephemeral range (on Linux 32768–60999),
and no two of them ever pick the same port. Without it, the kernel chooses.
"""

from __future__ import annotations

import itertools
import os
import socket
import threading

RANGE_VARIABLE = "PYROS_PORT_RANGE"
HOST = "127.0.0.1"

_lock = threading.Lock()
# Each process starts at its own place in the range (a child process inherits the range
# from its parent, which may be about to bind a port it has just chosen).
_turn = itertools.count((os.getpid() * 2654435761) % 65536)


def port_range() -> range | None:
    """The range ``PYROS_PORT_RANGE`` names, or None; a malformed value is an error."""
    text = os.environ.get(RANGE_VARIABLE, "").strip()
    if not text:
        return None
    try:
        low, high = (int(part) for part in text.split("-"))
    except ValueError:
        raise ValueError(f"{RANGE_VARIABLE}={text!r}: expected 'low-high', e.g. "
                         "'20000-20999'") from None
    if not 1024 <= low <= high <= 65535:
        raise ValueError(f"{RANGE_VARIABLE}={text!r}: expected 1024 <= low <= high <= 65535")
    return range(low, high + 1)


def _is_free(port: int) -> bool:
    with socket.socket() as probe:
        # As the servers themselves bind (asyncio, Twisted): a port whose last connection
        # is in TIME_WAIT is free for them.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
        return True


def _from_kernel(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind((HOST, 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def free_ports(count: int) -> list[int]:
    """``count`` distinct loopback ports nobody listens on now."""
    ports = port_range()
    if ports is None:
        return _from_kernel(count)
    chosen: list[int] = []
    with _lock:
        for _ in range(len(ports)):
            port = ports[next(_turn) % len(ports)]
            if port not in chosen and _is_free(port):
                chosen.append(port)
                if len(chosen) == count:
                    return chosen
    raise OSError(f"no {count} free ports left in {RANGE_VARIABLE}="
                  f"{os.environ[RANGE_VARIABLE]}")


def free_port() -> int:
    return free_ports(1)[0]
