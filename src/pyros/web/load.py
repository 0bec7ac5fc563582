"""The clients of ``pyros bench load``: plain HTTP over loopback with the standard
library, in threads, each request timed. No Django here: the bench's other half
(:mod:`pyros.web.bench_load`) prepares the users and starts the servers.

Latencies are summarised by nearest rank (p50, p99 of the requests actually made),
never interpolated: with a few hundred samples, the p99 is a request that happened.
"""

from __future__ import annotations

import json
import math
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

TIMEOUT = 120.0  # seconds a client waits for an answer before counting a failure


@dataclass(frozen=True)
class Answer:
    status: int  # 0: no answer (refused, reset, timed out)
    seconds: float
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def nearest_rank(values: list[float], q: float) -> float:
    """The ``q`` quantile (0 < q ≤ 1) by nearest rank: a value of the list."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


class Client:
    """One user's connection settings: its cookies and headers, no redirects followed."""

    def __init__(self, base: str, *, session: str | None = None) -> None:
        self.base = base.rstrip("/")
        self.headers: dict[str, str] = {"User-Agent": "pyros-bench-load"}
        if session:
            # A CSRF secret of the client's own, sent as cookie and header: Django's
            # double-submit check for a session's unsafe requests.
            csrf = "benchloadcsrfsecret0123456789abc"
            self.headers["Cookie"] = f"sessionid={session}; csrftoken={csrf}"
            self.headers["X-CSRFToken"] = csrf
        self.opener = urllib.request.build_opener(_NoRedirect)

    def request(self, method: str, path: str, *, data: Any = None, form: bool = False,
                read: Callable[[Any], bytes] | None = None) -> Answer:
        headers = dict(self.headers)
        body = None
        if data is not None:
            if form:
                body = urllib.parse.urlencode(data).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            else:
                body = json.dumps(data).encode()
                headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data=body, method=method,
                                         headers=headers)
        start = time.perf_counter()
        try:
            with self.opener.open(request, timeout=TIMEOUT) as response:
                content = read(response) if read else response.read()
                return Answer(response.status, time.perf_counter() - start, content,
                              dict(response.headers))
        except urllib.error.HTTPError as exc:
            content = exc.read()
            return Answer(exc.code, time.perf_counter() - start, content, dict(exc.headers))
        except OSError:
            return Answer(0, time.perf_counter() - start)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Tally:
    """What a kind of client got: every request's status and time."""

    name: str
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    seconds: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)

    def add(self, answer: Answer) -> None:
        with self.lock:
            self.seconds.append(answer.seconds)
            self.statuses[answer.status] += 1

    def summary(self) -> dict[str, Any]:
        with self.lock:
            seconds = list(self.seconds)
            statuses = dict(sorted(self.statuses.items()))
        out: dict[str, Any] = {"requests": len(seconds), "statuses": statuses}
        if seconds:
            out["p50_ms"] = round(1000 * nearest_rank(seconds, 0.50), 1)
            out["p99_ms"] = round(1000 * nearest_rank(seconds, 0.99), 1)
            out["max_ms"] = round(1000 * max(seconds), 1)
        return out


def run_clients(count: int, loop: Callable[[int, threading.Event], None],
                stopping: threading.Event, name: str) -> list[threading.Thread]:
    """Start ``count`` threads running ``loop(index, stopping)``."""
    threads = [threading.Thread(target=loop, args=(i, stopping), name=f"{name}-{i}",
                                daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    return threads


def slow_reader(rate: float, *, stop: threading.Event, block: int = 64 * 1024
                ) -> Callable[[Any], bytes]:
    """A body reader that takes ``rate`` bytes a second at most, as a slow client's
    download does: it holds the server's thread the whole time. It leaves early when
    ``stop`` is set. Returns how many bytes it read, not the bytes."""

    def read(response: Any) -> bytes:
        total = 0
        start = time.perf_counter()
        while not stop.is_set() and (chunk := response.read(block)):
            total += len(chunk)
            ahead = total / rate - (time.perf_counter() - start)
            if ahead > 0:
                time.sleep(ahead)
        return str(total).encode()

    return read
