"""One connection to an indiserver: a reader task keeping a copy of every property,
orders that wait for their completion, reconnection, and BLOBs streamed to files.

An asyncio loop runs in a background thread owned by the client; everything that
touches the connection or the property copies runs in that loop, so there are no locks.
Device classes call the synchronous methods of :class:`DeviceLink` from their own
threads; each takes a timeout and raises a DeviceError naming the PyROS device.

Completion. An INDI driver answers an order by sending the property back: Busy while
working, then Ok (done) or Alert (failed). Updates already on their way when the order
was sent can look like an answer (a mount reports its position four times a second), so
an order counts as done only on a non-Busy update that comes after a Busy one, or that
shows the values asked for. Orders whose answer never echoes them (an abort switch that
the driver resets) pass ``echoes=False``: then the first update after the order is the
answer. Some drivers refuse an order by answering Idle with the old values (and the
reason in a message): Idle without Busy for REFUSAL_GRACE seconds is a refusal.

Reconnection. When the socket drops, every waiting call raises DeviceDisconnected and
the property copies are forgotten; the next call opens a new connection and sends
``getProperties`` and the ``enableBLOB`` orders again.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import math
import os
import socket
import threading
from collections import deque
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from pyros.devices.errors import DeviceDisconnected, DeviceError, DeviceTimeout
from pyros.devices.indi import protocol
from pyros.devices.indi.protocol import (
    BlobHeader,
    BlobValue,
    DefVector,
    DelProperty,
    DeviceMessage,
    Kind,
    Malformed,
    SetVector,
    State,
    Value,
)

log = logging.getLogger(__name__)

DEFAULT_PORT = 7624
#: An order answered only with Idle and other values for this long was refused.
REFUSAL_GRACE = 1.0
READ_SIZE = 1 << 16
T = TypeVar("T")
NewValues = Mapping[str, str | float | bool]


@dataclass(frozen=True)
class Property:
    """A copy of one property as last reported, safe to hand to other threads."""

    kind: Kind
    device: str
    name: str
    state: State
    values: Mapping[str, Value]
    message: str
    definition: DefVector
    #: Whether the values are the driver's: a driver that connects defines its properties
    #: with placeholders (Idle, zeros) and sends the real values next; a definition in
    #: state Ok, Busy or Alert, or any update after it, carries real values.
    reported: bool = True
    version: int = 0  # the client's update sequence number of the last change
    busy_at: int = -1  # ... and of the last Busy update

    def number(self, element: str) -> float:
        value = self.values.get(element)
        if not isinstance(value, float):
            raise KeyError(f"{self.device}.{self.name} has no number {element!r}")
        return value

    def is_on(self, element: str) -> bool:
        return self.values.get(element) is True


@dataclass
class _Property:
    """The loop's live copy; ``version`` and ``busy_at`` are update sequence numbers."""

    definition: DefVector
    state: State
    values: dict[str, Value]
    message: str = ""
    version: int = 0
    busy_at: int = -1
    updates: int = 0  # setVectors received since the definition

    def view(self) -> Property:
        d = self.definition
        reported = self.updates > 0 or d.state in (State.OK, State.BUSY, State.ALERT)
        return Property(d.kind, d.device, d.name, self.state, dict(self.values),
                        self.message, d, reported, self.version, self.busy_at)


@dataclass
class _Capture:
    """Where the next BLOB of one vector goes: a hidden part file renamed when whole.
    Write errors (a full disk) fail the capture, not the connection."""

    path: Path
    part: Path
    file: BinaryIO | None = None
    value: BlobValue | None = None
    error: str | None = None

    def open(self) -> _Capture | None:
        if self.file is not None or self.value is not None or self.error:
            return None  # one image per capture; a second element is dropped
        try:
            self.file = open(self.part, "wb")  # noqa: SIM115 - closed by finish/discard
        except OSError as error:
            self.error = f"cannot write {self.part}: {error.strerror}"
            return None
        return self

    def write(self, data: bytes) -> None:
        if self.file is None:
            return
        try:
            self.file.write(data)
        except OSError as error:
            self.fail(f"cannot write {self.part}: {error.strerror}")

    def finish(self, value: BlobValue) -> None:
        self._close()
        if self.error:
            return
        if not value.stored:
            self.error = self.error or "the image arrived but could not be stored"
        elif value.size >= 0 and value.received != value.size and not value.format.endswith(".z"):
            self.error = f"image truncated: {value.received} of {value.size} bytes"
        else:
            self.value = value

    def fail(self, reason: str) -> None:
        self._close()
        self.error = self.error or reason

    def discard(self) -> None:
        self._close()
        with contextlib.suppress(FileNotFoundError):
            self.part.unlink()

    def _close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


@dataclass
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    parser: protocol.StreamParser
    generation: int
    task: asyncio.Task[None] | None = None
    messages: deque[tuple[int, DeviceMessage]] = field(default_factory=lambda: deque(maxlen=50))


def parse_address(address: str) -> tuple[str, int]:
    """``host:port`` (``[v6]:port`` too) as the configuration spells it."""
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"INDI address {address!r} is not host:port")
    return host.strip("[]"), int(port)


class IndiClient:
    """A connection to one indiserver, shared by all the devices it serves.

    ``unix_path`` connects through a local socket instead of TCP (a leading NUL names
    an abstract socket, as indiserver's own ``/tmp/indiserver`` is on Linux).
    """

    def __init__(self, host: str = "localhost", port: int = DEFAULT_PORT, *,
                 unix_path: str | None = None) -> None:
        self.host, self.port, self.unix_path = host, port, unix_path
        self.address = unix_path.replace("\0", "@") if unix_path else f"{host}:{port}"
        self._start_lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        # Everything below belongs to the loop thread.
        self._connection: _Connection | None = None
        self._connecting: asyncio.Future[None] | None = None
        self._generation = 0
        self._sequence = 0
        self._last_drop = "not connected yet"
        self._properties: dict[tuple[str, str], _Property] = {}
        self._defined_at: dict[str, float] = {}  # device: loop time of its last definition
        self._blob_modes: dict[tuple[str, str | None], str] = {}
        self._captures: dict[tuple[str, str], _Capture] = {}
        self._changed: asyncio.Future[None] | None = None

    @classmethod
    def from_address(cls, address: str) -> IndiClient:
        host, port = parse_address(address)
        return cls(host, port)

    def device(self, indi_device: str, label: str | None = None) -> DeviceLink:
        """The handle a device class uses; errors name ``label`` (the PyROS device)."""
        return DeviceLink(self, indi_device, label or indi_device)

    @property
    def generation(self) -> int:
        """Counts successful connections: a device that saw another one re-initialises."""
        return self._generation

    @property
    def is_connected(self) -> bool:
        return self._connection is not None

    def connect(self, timeout: float = 10.0, who: str | None = None) -> None:
        self.run(self._ensure_connected(who or self.address, timeout), timeout)

    def close(self) -> None:
        """Drop the connection and stop the background loop."""
        with self._start_lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        with contextlib.suppress(concurrent.futures.TimeoutError, RuntimeError):
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(5.0)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5.0)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run ``coro`` in the client's loop and wait for it. The coroutine enforces its
        own timeout; the margin here only guards against a stalled loop."""
        loop = self._ensure_loop()
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("IndiClient's synchronous methods cannot run in its own loop")
        future = asyncio.run_coroutine_threadsafe(coro, loop)
        try:
            return future.result(timeout + 5.0)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise DeviceTimeout(self.address, f"no answer within {timeout:g} s") from None

    # --- the loop thread ------------------------------------------------------------

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._start_lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()
                thread = threading.Thread(target=self._run_loop, args=(loop, ready),
                                          name=f"indi {self.address}", daemon=True)
                thread.start()
                ready.wait()
                self._loop, self._thread = loop, thread
            return self._loop

    def _run_loop(self, loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        self._changed = loop.create_future()
        loop.call_soon(ready.set)
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def _shutdown(self) -> None:
        connection = self._connection
        if connection is not None and connection.task is not None:
            connection.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await connection.task
        self._drop(connection, "client closed")

    def _pulse(self) -> None:
        """Wake every waiter so it looks at the property copies again. A future per
        change rather than an Event's set/clear: a waiter takes the future in the same
        step as its check, so no change can slip between the two."""
        assert self._changed is not None
        self._changed.set_result(None)
        self._changed = asyncio.get_running_loop().create_future()

    # --- connecting -----------------------------------------------------------------

    async def _ensure_connected(self, who: str, timeout: float) -> _Connection:
        if self._connection is not None:
            return self._connection
        if self._connecting is None or self._connecting.done():
            self._connecting = asyncio.ensure_future(self._open())
            self._connecting.add_done_callback(lambda f: f.cancelled() or f.exception())
        try:
            await asyncio.wait_for(asyncio.shield(self._connecting), timeout)
        except TimeoutError:
            raise DeviceDisconnected(who, f"indiserver at {self.address} did not accept a "
                                          f"connection within {timeout:g} s") from None
        except OSError as error:
            raise DeviceDisconnected(who, f"cannot reach indiserver at {self.address}: "
                                          f"{error.strerror or error}") from None
        if self._connection is None:
            raise DeviceDisconnected(who, f"lost indiserver at {self.address}: "
                                          f"{self._last_drop}")
        return self._connection

    async def _open(self) -> None:
        if self.unix_path:
            reader, writer = await asyncio.open_unix_connection(self.unix_path)
        else:
            reader, writer = await asyncio.open_connection(self.host, self.port)
            _keep_alive(writer.get_extra_info("socket"))
        self._properties.clear()
        self._generation += 1
        connection = _Connection(reader, writer, protocol.StreamParser(self._open_blob),
                                 self._generation)
        writer.write(protocol.get_properties())
        for (device, name), mode in self._blob_modes.items():
            writer.write(protocol.enable_blob(device, mode, name))
        self._connection = connection
        connection.task = asyncio.create_task(self._read(connection))
        log.info("connected to indiserver at %s", self.address)

    async def _read(self, connection: _Connection) -> None:
        reason = "indiserver closed the connection"
        try:
            while data := await connection.reader.read(READ_SIZE):
                for message in connection.parser.feed(data):
                    self._apply(connection, message)
                self._pulse()
        except protocol.ProtocolError as error:
            reason = f"unreadable data from indiserver ({error})"
        except OSError as error:
            reason = error.strerror or str(error)
        except asyncio.CancelledError:
            reason = "client closed"
            raise
        except Exception as error:  # a bug here must not leave the link half alive
            log.exception("reading from indiserver at %s failed", self.address)
            reason = f"internal error: {error!r}"
        finally:
            self._drop(connection, reason)

    def _drop(self, connection: _Connection | None, reason: str) -> None:
        if connection is None or self._connection is not connection:
            return
        log.log(logging.INFO if reason == "client closed" else logging.WARNING,
                "lost indiserver at %s: %s", self.address, reason)
        self._connection = None
        self._last_drop = reason
        connection.writer.close()
        self._properties.clear()
        for capture in self._captures.values():
            capture.fail(f"connection lost while receiving the image: {reason}")
        self._pulse()

    # --- what the server says -------------------------------------------------------

    def _apply(self, connection: _Connection, message: protocol.Message) -> None:
        self._sequence += 1
        match message:
            case DefVector():
                self._defined_at[message.device] = asyncio.get_running_loop().time()
                self._properties[(message.device, message.name)] = _Property(
                    message, message.state, dict(message.values), message.message,
                    self._sequence, self._sequence if message.state is State.BUSY else -1)
            case SetVector():
                self._update(message)
            case DeviceMessage():
                connection.messages.append((self._sequence, message))
                log.debug("%s: %s", message.device, message.text)
            case DelProperty(device=device, name=None):
                for key in [k for k in self._properties if k[0] == device]:
                    del self._properties[key]
            case DelProperty():
                self._properties.pop((message.device, message.name or ""), None)
            case Malformed():
                log.warning("ignored a malformed %s from %s.%s: %s", message.tag,
                            message.device, message.name, message.reason)
                capture = self._captures.get((message.device or "", message.name or ""))
                if capture is not None:
                    capture.fail(f"malformed image message: {message.reason}")

    def _update(self, message: SetVector) -> None:
        prop = self._properties.get((message.device, message.name))
        if prop is None:
            return  # a property we were never told about: nothing to compare it with
        prop.values.update(message.values)
        if message.state is not None:
            prop.state = message.state
        if message.state is State.BUSY:
            prop.busy_at = self._sequence
        prop.message = message.message or prop.message
        prop.version = self._sequence
        prop.updates += 1
        capture = self._captures.get((message.device, message.name))
        if capture is not None:
            for value in message.values.values():
                if isinstance(value, BlobValue):
                    capture.finish(value)
                    break

    def _open_blob(self, header: BlobHeader) -> _Capture | None:
        capture = self._captures.get((header.device, header.vector))
        return capture.open() if capture is not None else None

    # --- waiting --------------------------------------------------------------------

    async def _wait(self, who: str, check: Callable[[], T | None], timeout: float,
                    what: Callable[[], str], tick: float | None = None) -> T:
        """Until ``check`` returns something; DeviceDisconnected if the link drops,
        DeviceTimeout (saying ``what`` was awaited) after ``timeout`` seconds. ``check``
        runs on every change, and every ``tick`` seconds if given."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        generation = self._generation
        while True:
            if self._connection is None or self._generation != generation:
                raise DeviceDisconnected(who, f"lost indiserver at {self.address}: "
                                              f"{self._last_drop}")
            result = check()
            if result is not None:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise DeviceTimeout(who, what())
            assert self._changed is not None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._changed),
                                       min(remaining, tick) if tick else remaining)

    async def _defined(self, who: str, device: str, name: str, timeout: float) -> _Property:
        connection = await self._ensure_connected(who, timeout)
        del connection
        return await self._wait(
            who, lambda: self._properties.get((device, name)), timeout,
            lambda: f"indiserver at {self.address} did not define {device}.{name} within "
                    f"{timeout:g} s (is the driver running and connected?)")

    async def _send(self, who: str, data: bytes, timeout: float) -> None:
        connection = await self._ensure_connected(who, timeout)
        connection.writer.write(data)
        try:
            await asyncio.wait_for(connection.writer.drain(), timeout)
        except TimeoutError:
            raise DeviceTimeout(who, f"indiserver at {self.address} is not reading") from None
        except OSError as error:
            self._drop(connection, error.strerror or str(error))
            raise DeviceDisconnected(who, f"lost indiserver at {self.address}: "
                                          f"{self._last_drop}") from None

    def _alert_reason(self, prop: _Property, since: int) -> str:
        """The driver's explanation of an Alert: the vector's message, else its latest
        free-text message since the order."""
        if prop.message and prop.version > since:
            return prop.message
        messages = self._connection.messages if self._connection else ()
        for sequence, message in reversed(messages):
            if sequence > since and message.device == prop.definition.device:
                return message.text
        return "the driver gave no reason"

    async def _order(self, who: str, device: str, name: str, values: NewValues, *,
                     timeout: float, wait: bool, echoes: bool, tolerance: float) -> Property:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        prop = await self._defined(who, device, name, timeout)
        _check_order(who, prop.definition, values)
        sent = self._sequence
        await self._send(who, protocol.new_vector(prop.definition.kind, device, name, values),
                         max(deadline - loop.time(), 0.1))
        refused_after: float | None = None

        def answer() -> Property | None:
            nonlocal refused_after
            current = self._properties.get((device, name))
            if current is None:
                raise DeviceError(who, f"{device}.{name} went away")
            if current.version <= sent:
                return None
            if current.state is State.ALERT:
                raise DeviceError(who, f"{name} failed: {self._alert_reason(current, sent)}")
            if current.state is State.BUSY:
                return None if wait else current.view()
            if current.busy_at > sent:
                if current.state is State.IDLE:
                    raise DeviceError(who, f"{name} stopped before completing")
                return current.view()
            if not echoes or _shows(current.values, values, tolerance):
                return current.view()
            if current.state is State.IDLE:
                # Either an update that crossed the order, or a refusal (a parked mount
                # answers a goto with Idle): a driver that works goes Busy at once.
                refused_after = refused_after or loop.time() + REFUSAL_GRACE
                if loop.time() >= refused_after:
                    raise DeviceError(who, f"{name} refused: "
                                           f"{self._alert_reason(current, sent)}")
            return None  # an update sent before the order reached the driver

        def what() -> str:
            current = self._properties.get((device, name))
            if current is not None and current.version > sent and current.state is State.BUSY:
                return f"{name} still Busy after {timeout:g} s"
            return f"no answer to {name} within {timeout:g} s"

        return await self._wait(who, answer, max(deadline - loop.time(), 0.0), what,
                                tick=REFUSAL_GRACE / 4)

    async def _capture(self, who: str, device: str, name: str, values: NewValues,
                       blob_vector: str, path: Path, timeout: float,
                       formats: tuple[str, ...]) -> BlobValue:
        key = (device, blob_vector)
        if key in self._captures:
            raise DeviceError(who, f"already waiting for an image from {device}.{blob_vector}")
        capture = _Capture(path, path.with_name(f".{path.name}.part"))
        self._captures[key] = capture
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            sent = self._sequence
            await self._order(who, device, name, values, timeout=timeout, wait=False,
                              echoes=False, tolerance=0.0)

            def arrived() -> BlobValue | None:
                if capture.error:
                    raise DeviceError(who, capture.error)
                if capture.value is not None:
                    return capture.value
                trigger = self._properties.get((device, name))
                if trigger is not None and trigger.version > sent:
                    if trigger.state is State.ALERT:
                        raise DeviceError(who, f"{name} failed: "
                                               f"{self._alert_reason(trigger, sent)}")
                    if trigger.state is State.IDLE and trigger.busy_at > sent:
                        raise DeviceError(who, f"{name} stopped before the image arrived")
                return None

            value = await self._wait(
                who, arrived, max(deadline - loop.time(), 0.0),
                lambda: f"no image from {device}.{blob_vector} within {timeout:g} s")
            if formats and value.format not in formats:
                raise DeviceError(who, f"the image came as {value.format!r}, not "
                                       f"{' or '.join(formats)}")
            os.replace(capture.part, path)
            return value
        finally:
            del self._captures[key]
            capture.discard()

    async def _enable_blob(self, who: str, device: str, name: str | None, mode: str,
                           timeout: float) -> None:
        await self._ensure_connected(who, timeout)
        self._blob_modes[(device, name)] = mode
        await self._send(who, protocol.enable_blob(device, mode, name), timeout)


def _check_order(who: str, definition: DefVector, values: NewValues) -> None:
    if definition.perm == "ro" or definition.kind in (Kind.LIGHT, Kind.BLOB):
        raise DeviceError(who, f"{definition.device}.{definition.name} is read-only")
    known = {e.name for e in definition.elements}
    unknown = sorted(set(values) - known)
    if unknown:
        raise DeviceError(who, f"{definition.device}.{definition.name} has no element "
                               f"{', '.join(unknown)} (it has {', '.join(sorted(known))})")


def _shows(current: Mapping[str, Value], wanted: NewValues, tolerance: float) -> bool:
    """Whether the reported values are the ones ordered (numbers within ``tolerance``)."""
    for element, value in wanted.items():
        have = current.get(element)
        if isinstance(value, bool | str):
            if have != value:
                return False
        elif not isinstance(have, float) or not math.isclose(have, value, rel_tol=1e-9,
                                                             abs_tol=tolerance):
            return False
    return True


def _keep_alive(sock: socket.socket | None) -> None:
    """Notice a peer that vanished without closing (a cut cable) within ~30 s."""
    if sock is None:
        return
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for option, value in (("TCP_KEEPIDLE", 10), ("TCP_KEEPINTVL", 5), ("TCP_KEEPCNT", 3)):
        if hasattr(socket, option):
            sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, option), value)


class DeviceLink:
    """One INDI device of a client, seen from a PyROS device: synchronous calls with
    timeouts, errors naming ``label``."""

    def __init__(self, client: IndiClient, indi_device: str, label: str) -> None:
        self.client = client
        self.indi_device = indi_device
        self.label = label

    @property
    def generation(self) -> int:
        return self.client.generation

    def connect(self, timeout: float) -> None:
        self.client.connect(timeout, self.label)

    def get(self, name: str, timeout: float) -> Property:
        """The property, waiting up to ``timeout`` for the driver to define it."""
        async def get() -> Property:
            prop = await self.client._defined(self.label, self.indi_device, name, timeout)
            return prop.view()
        return self.client.run(get(), timeout)

    def find(self, name: str) -> Property | None:
        """The property if the driver has defined it; None otherwise (no waiting)."""
        return self.properties().get(name)

    def properties(self) -> dict[str, Property]:
        """Every property the device has defined, as last reported (no waiting)."""
        async def properties() -> dict[str, Property]:
            return {name: prop.view() for (device, name), prop in self.client._properties.items()
                    if device == self.indi_device}
        return self.client.run(properties(), 5.0)

    def wait_any(self, names: tuple[str, ...], timeout: float) -> Property:
        """The first of ``names`` the driver defines: how a device knows that a driver
        which just connected has sent the properties it defines once connected."""
        async def wait_any() -> Property:
            await self.client._ensure_connected(self.label, timeout)

            def check() -> Property | None:
                for name in names:
                    prop = self.client._properties.get((self.indi_device, name))
                    if prop is not None:
                        return prop.view()
                return None
            return await self.client._wait(
                self.label, check, timeout,
                lambda: f"{self.indi_device} defined none of {', '.join(names)} within "
                        f"{timeout:g} s (is it the right kind of device?)")
        return self.client.run(wait_any(), timeout)

    def set(self, name: str, values: NewValues, *, timeout: float, wait: bool = True,
            echoes: bool = True, tolerance: float = 1e-6) -> Property:
        """Order new values; return once done (``wait``) or accepted (Busy). DeviceError
        with the driver's reason on Alert, DeviceTimeout after ``timeout``."""
        return self.client.run(
            self.client._order(self.label, self.indi_device, name, values, timeout=timeout,
                               wait=wait, echoes=echoes, tolerance=tolerance), timeout)

    def wait(self, name: str, condition: Callable[[Property], bool], timeout: float,
             what: str) -> Property:
        """Until the property satisfies ``condition``; DeviceTimeout says ``what``."""
        async def wait() -> Property:
            await self.client._defined(self.label, self.indi_device, name, timeout)

            def check() -> Property | None:
                prop = self.client._properties.get((self.indi_device, name))
                view = prop.view() if prop is not None else None
                return view if view is not None and condition(view) else None
            return await self.client._wait(self.label, check, timeout,
                                           lambda: f"{what} not seen within {timeout:g} s")
        return self.client.run(wait(), timeout)

    def settle(self, quiet: float, timeout: float) -> None:
        """Until the driver has defined nothing new for ``quiet`` seconds: a driver that
        connects defines its properties in a burst, and a device must see all of them
        (whether a dome has ``ABS_DOME_POSITION`` says whether it is a roll-off roof)."""
        async def settle() -> None:
            loop = asyncio.get_running_loop()

            def quiet_now() -> bool | None:
                last = self.client._defined_at.get(self.indi_device, 0.0)
                return True if loop.time() - last >= quiet else None
            await self.client._wait(self.label, quiet_now, timeout,
                                    lambda: f"{self.indi_device} kept defining properties for "
                                            f"{timeout:g} s", tick=quiet / 2)
        self.client.run(settle(), timeout)

    def enable_blob(self, timeout: float, mode: str = "Also", name: str | None = None) -> None:
        """Ask for this device's BLOBs, now and after every reconnection."""
        self.client.run(self.client._enable_blob(self.label, self.indi_device, name, mode,
                                                 timeout), timeout)

    def capture(self, name: str, values: NewValues, blob_vector: str, path: Path,
                timeout: float, formats: tuple[str, ...] = ()) -> BlobValue:
        """Order ``values`` (an exposure) and stream the next BLOB of ``blob_vector`` to
        ``path``; the file appears only once whole, and only in one of ``formats`` (such
        as ``.fits``) when they are given."""
        return self.client.run(
            self.client._capture(self.label, self.indi_device, name, values, blob_vector,
                                 path, timeout, formats), timeout)
