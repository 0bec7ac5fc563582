"""Slots for long downloads (a night's zip, a 2 GB frame), so that they cannot take all
the threads of a web worker from the pages.

A gthread worker serves ``[web] threads`` requests at once, and a download holds its
thread as long as the client reads: a few slow clients could hold them all. So in each
worker process at most half its threads send downloads, and one user at most
:data:`PER_USER` of them; beyond, the answer is 429, retry later. Counted per process
(no shared state between workers to go wrong): the site-wide figures are these times
``[web] workers``.
"""

from __future__ import annotations

import io
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from rest_framework.exceptions import Throttled

from pyros.config.loader import active_config

PER_USER = 2
RETRY_AFTER = 30  # seconds: a download of a few GB on a fast link


class DownloadSlots:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users: Counter[object] = Counter()
        #: False only in tests: Django's test client never closes a streamed response
        #: that the test does not read, so its slot would never come back.
        self.enabled = True

    def total(self) -> int:
        return max(1, active_config().web.threads // 2)

    def take(self, user: object) -> Callable[[], None]:
        """A slot for ``user``, or Throttled (429 with Retry-After); call the function
        returned, once or more, to give it back."""
        if not self.enabled:
            return lambda: None
        with self.lock:
            if self.users[user] >= PER_USER:
                raise Throttled(RETRY_AFTER, detail=(
                    f"you are already downloading {PER_USER} files or zips: wait for "
                    "one to end."))
            if sum(self.users.values()) >= self.total():
                raise Throttled(RETRY_AFTER, detail=(
                    "the server is sending as many downloads as it may at once: "
                    "try again in a minute."))
            self.users[user] += 1
            counts = self.users  # the tally this slot was taken from (reset() starts anew)
        given_back = threading.Event()

        def release() -> None:
            with self.lock:
                if not given_back.is_set():
                    given_back.set()
                    counts[user] -= 1
                    if counts[user] <= 0:
                        del counts[user]

        return release

    def reset(self) -> None:
        """Forget every slot taken (tests): those given back later are not counted."""
        with self.lock:
            self.users = Counter()

    def in_use(self) -> int:
        with self.lock:
            return sum(self.users.values())


SLOTS = DownloadSlots()


def client_key(user: object, address: str | None) -> object:
    """Whom a download is counted for: the user, or an anonymous visitor's address."""
    pk = getattr(user, "pk", None)
    return pk if pk is not None else f"anonymous@{address}"


class ReleasingChunks:
    """A streamed body that gives its slot back when the response is closed (Django
    closes it at the end of the download or when the client leaves), even if it was
    never read: a generator's ``finally`` would not run then."""

    def __init__(self, chunks: Iterable[bytes], release: Callable[[], None]) -> None:
        self.source = chunks
        self.chunks: Iterator[bytes] = iter(chunks)
        self.release = release

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        return next(self.chunks)

    def close(self) -> None:
        try:
            close = getattr(self.source, "close", None)
            if close is not None:
                close()
        finally:
            self.release()


class ReleasingFile(io.FileIO):
    """A file for ``FileResponse`` (sent with sendfile where the server can) that gives
    its slot back when the response closes it."""

    def __init__(self, path: Path, release: Callable[[], None]) -> None:
        self.release = release
        try:
            super().__init__(path, "rb")
        except OSError:
            release()
            raise

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.release()
