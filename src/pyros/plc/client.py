"""The PLC client: ask the PLC for its status, from an agent's thread, without ever
hanging and without ever handing over a frame that was not validated.

Every call is bounded by ``timeout`` (connection, request and answer together). The
connection is opened on demand and kept between calls; when a kept connection turns out
to be dead before any byte of the answer arrived (the PLC restarted, an idle connection
was dropped), the request is sent once more on a fresh connection within the same
timeout. A timeout closes the connection, since a late answer would otherwise be read
as the answer to the next request.

The last good document is kept with the time it arrived (on the injected clock): after
a failed call, :attr:`PlcClient.last_good` still returns it, marked stale, with its age,
so the monitoring can decide how old is too old (``safety.stale_after``). Network
timeouts are wall-clock seconds: they measure the link, not the simulated night.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pyros import clock as pyros_clock
from pyros.clock import Clock
from pyros.plc.document import PlcError, PlcFrameError, PlcStatus, parse_frame

STATUS_REQUEST = b'{"request": "status"}\n'
MAX_FRAME_BYTES = 1024 * 1024

log = logging.getLogger(__name__)


class PlcTimeout(PlcError, TimeoutError):
    """The PLC did not answer in time."""


class PlcDisconnected(PlcError, ConnectionError):
    """The PLC cannot be reached or closed the connection."""


class _ConnectionLost(Exception):
    """Internal: the connection died; ``answered`` says whether any byte came back."""

    def __init__(self, reason: str, answered: bool) -> None:
        super().__init__(reason)
        self.answered = answered


@dataclass(frozen=True)
class KeptStatus:
    """The last document that passed validation, as seen at the time of asking."""

    document: PlcStatus
    received_at: datetime
    age_seconds: float
    is_stale: bool  # True when a later call failed
    last_error: str | None


class PlcClient:
    """A synchronous client for one PLC. Safe to share between threads (calls are
    serialised), though one agent thread is the intended user."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 5003,
        timeout: float = 5.0,
        *,
        clock: Clock | None = None,
        max_frame_bytes: int = MAX_FRAME_BYTES,
        parser: Callable[[bytes], PlcStatus] = parse_frame,
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"PlcClient timeout must be > 0 seconds, not {timeout}")
        self.host = host
        self.port = port
        self.timeout = timeout
        self.max_frame_bytes = max_frame_bytes
        self.parser = parser
        self._now: Callable[[], datetime] = clock.now if clock else pyros_clock.now
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._buffer = b""
        self._last: PlcStatus | None = None
        self._received_at: datetime | None = None
        self._last_error: str | None = None
        self.connections_opened = 0

    @property
    def name(self) -> str:
        return f"PLC at {self.host}:{self.port}"

    def read_status(self, bypass: bool | None = None) -> PlcStatus:
        """Ask for the status; raise PlcTimeout, PlcDisconnected or PlcFrameError.
        ``bypass`` (True / False) sets the PLC BYPASS with the same exchange: the PLC
        answers with its status, which says whether it took it."""
        request = STATUS_REQUEST if bypass is None else \
            f'{{"request": "bypass", "value": {int(bypass)}}}\n'.encode()
        with self._lock:
            deadline = time.monotonic() + self.timeout
            try:
                frame = self._exchange(deadline, request)
                document = self.parser(frame)
            except PlcFrameError as error:
                failure: PlcError = PlcFrameError(
                    f"{self.name}: {error}", device=error.device, value=error.value
                )
            except PlcError as error:
                failure = error
            else:
                self._last, self._received_at, self._last_error = document, self._now(), None
                log.debug("%s: status received (read and parsed ok)", self.name)
                return document
            self._last_error = str(failure)
            log.info("%s", failure)
            raise failure

    @property
    def last_good(self) -> KeptStatus | None:
        """The last valid document with its age, or None if none ever arrived."""
        with self._lock:
            if self._last is None or self._received_at is None:
                return None
            age = (self._now() - self._received_at).total_seconds()
            return KeptStatus(
                document=self._last,
                received_at=self._received_at,
                age_seconds=age,
                is_stale=self._last_error is not None,
                last_error=self._last_error,
            )

    def close(self) -> None:
        with self._lock:
            self._disconnect()

    def __enter__(self) -> PlcClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _exchange(self, deadline: float, request: bytes) -> bytes:
        reused = self._sock is not None
        try:
            return self._request(self._connection(deadline), deadline, request)
        except _ConnectionLost as lost:
            self._disconnect()
            if not reused or lost.answered:
                raise PlcDisconnected(f"{self.name}: {lost}") from None
            log.info("%s: kept connection was dead (%s), reconnecting", self.name, lost)
        try:
            return self._request(self._connection(deadline), deadline, request)
        except _ConnectionLost as lost:
            self._disconnect()
            raise PlcDisconnected(f"{self.name}: {lost}") from None

    def _connection(self, deadline: float) -> socket.socket:
        if self._sock is not None:
            return self._sock
        remaining = self._remaining(deadline, "connecting")
        try:
            sock = socket.create_connection((self.host, self.port), timeout=remaining)
        except TimeoutError:
            raise PlcTimeout(
                f"{self.name}: no connection within {self.timeout:g} s"
            ) from None
        except OSError as error:
            reason = error.strerror or str(error)
            raise PlcDisconnected(f"{self.name}: cannot connect: {reason}") from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock, self._buffer = sock, b""
        self.connections_opened += 1
        return sock

    def _request(self, sock: socket.socket, deadline: float, request: bytes) -> bytes:
        try:
            sock.settimeout(self._remaining(deadline, "sending the request"))
            sock.sendall(request)
            return self._read_line(sock, deadline)
        except PlcTimeout:
            self._disconnect()
            raise
        except TimeoutError:
            self._disconnect()
            raise PlcTimeout(f"{self.name}: no answer within {self.timeout:g} s") from None
        except OSError as error:  # reset, broken pipe
            raise _ConnectionLost(error.strerror or str(error), bool(self._buffer)) from None

    def _read_line(self, sock: socket.socket, deadline: float) -> bytes:
        while True:
            end = self._buffer.find(b"\n")
            if 0 <= end <= self.max_frame_bytes:
                line, self._buffer = self._buffer[:end], self._buffer[end + 1 :]
                return line
            if end > self.max_frame_bytes or len(self._buffer) > self.max_frame_bytes:
                self._disconnect()
                raise PlcFrameError(
                    f"frame longer than {self.max_frame_bytes} bytes without a newline"
                )
            sock.settimeout(self._remaining(deadline, "waiting for the answer"))
            chunk = sock.recv(65536)
            if not chunk:
                answered = bool(self._buffer)
                reason = "closed the connection" + (" in the middle of a frame" if answered
                                                    else " without answering")
                raise _ConnectionLost(reason, answered)
            self._buffer += chunk

    def _remaining(self, deadline: float, doing: str) -> float:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise PlcTimeout(f"{self.name}: no answer within {self.timeout:g} s ({doing})")
        return remaining

    def _disconnect(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock, self._buffer = None, b""
