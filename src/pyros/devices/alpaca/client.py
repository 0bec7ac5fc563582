"""The Alpaca Device API over HTTP: ``GET|PUT /api/v1/{type}/{number}/{member}``.

Every request carries our ClientID and a fresh ClientTransactionID (the server echoes it,
and an answer that echoes another is refused: it was meant for someone else), and a
timeout. What goes wrong becomes one of our DeviceErrors, naming the device:

- no connection, connection lost → DeviceDisconnected; no answer in time → DeviceTimeout;
- Alpaca error numbers: NotImplemented (0x400), InvalidValue (0x401), InvalidWhileParked
  (0x408), InvalidWhileSlaved (0x409), InvalidOperation (0x40B), ActionNotImplemented
  (0x40C) → DeviceRefused; NotConnected (0x407) → DeviceDisconnected (after one
  reconnection, since a driver restarted by its server answers so until told to connect);
  the rest (ValueNotSet 0x402, OperationCancelled 0x40E, driver errors 0x500-0xFFF) →
  DeviceError; HTTP 400 (a parameter the server could not read) → DeviceRefused; other
  HTTP errors and malformed answers → DeviceError.

Devices of one server share one :class:`AlpacaServer`: one pool of keep-alive HTTP
connections (httpx's Client, which is thread-safe, so an ``abort()`` from another thread
goes out while a wait polls).
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import numpy as np

from pyros.devices.alpaca.images import (
    IMAGEBYTES,
    ImageBytesError,
    ImageFormatError,
    decode_imagebytes,
    decode_json_image,
)
from pyros.devices.errors import DeviceDisconnected, DeviceError, DeviceRefused, DeviceTimeout

NOT_IMPLEMENTED = 0x400
INVALID_VALUE = 0x401
VALUE_NOT_SET = 0x402
NOT_CONNECTED = 0x407
INVALID_WHILE_PARKED = 0x408
INVALID_WHILE_SLAVED = 0x409
INVALID_OPERATION = 0x40B
ACTION_NOT_IMPLEMENTED = 0x40C
OPERATION_CANCELLED = 0x40E

ERROR_NAMES = {
    NOT_IMPLEMENTED: "not implemented", INVALID_VALUE: "invalid value",
    VALUE_NOT_SET: "value not set", NOT_CONNECTED: "not connected",
    INVALID_WHILE_PARKED: "invalid while parked", INVALID_WHILE_SLAVED: "invalid while slaved",
    INVALID_OPERATION: "invalid operation", ACTION_NOT_IMPLEMENTED: "action not implemented",
    OPERATION_CANCELLED: "operation cancelled",
}
REFUSALS = frozenset({NOT_IMPLEMENTED, INVALID_VALUE, INVALID_WHILE_PARKED,
                      INVALID_WHILE_SLAVED, INVALID_OPERATION, ACTION_NOT_IMPLEMENTED})

#: This process's ClientID (the spec asks for a number that tells clients apart).
CLIENT_ID = random.randint(1, 65535)
_transactions = itertools.count(1)
_transactions_lock = threading.Lock()


def next_transaction() -> int:
    with _transactions_lock:
        return next(_transactions) % 4_294_967_295 or 1


def error_for(device: str, member: str, number: int, message: str) -> DeviceError:
    """The DeviceError an Alpaca error number means (see the module's docstring)."""
    name = ERROR_NAMES.get(number, "driver error" if 0x500 <= number <= 0xFFF else "error")
    text = f"{member}: {name} (Alpaca 0x{number:X}): {message or 'no message'}"
    if number in REFUSALS:
        error: DeviceError = DeviceRefused(device, text)
    elif number == NOT_CONNECTED:
        error = DeviceDisconnected(device, text)
    else:
        error = DeviceError(device, text)
    error.alpaca_number = number  # type: ignore[attr-defined]
    return error


def parse_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{address!r} is not host:port")
    return host.strip("[]"), int(port)


class AlpacaServer:
    """One Alpaca server (``host:port``): its HTTP connections, shared by its devices."""

    def __init__(self, address: str) -> None:
        self.host, self.port = parse_address(address)
        self.address = address
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.http = httpx.Client(base_url=f"http://{host}:{self.port}",
                                 limits=httpx.Limits(max_keepalive_connections=8),
                                 trust_env=False)

    def close(self) -> None:
        self.http.close()

    def device(self, device_type: str, number: int, label: str) -> AlpacaLink:
        return AlpacaLink(self, device_type, number, label)

    def management(self, path: str, timeout: float = 5.0) -> Any:
        """A Management API answer's Value (``configureddevices``, ``description``)."""
        transaction = next_transaction()
        try:
            response = self.http.get(f"/management/v1/{path}", timeout=timeout, params={
                "ClientID": CLIENT_ID, "ClientTransactionID": transaction})
            response.raise_for_status()
            return response.json()["Value"]
        except httpx.TimeoutException as exc:
            raise DeviceTimeout(self.address, f"management {path}: no answer within "
                                              f"{timeout:g} s") from exc
        except httpx.TransportError as exc:
            raise DeviceDisconnected(self.address, f"management {path}: {exc}") from exc
        except (httpx.HTTPStatusError, ValueError, KeyError, TypeError) as exc:
            raise DeviceError(self.address, f"management {path}: bad answer: {exc}") from exc


class AlpacaLink:
    """One device of a server: ``get``/``put`` of its members, and its image."""

    def __init__(self, server: AlpacaServer, device_type: str, number: int, label: str) -> None:
        self.server = server
        self.device_type = device_type.lower()
        self.number = number
        self.label = label
        self.path = f"/api/v1/{self.device_type}/{number}"
        self._setting_up = False
        self._device_state = True  # until the driver shows it has no usable devicestate

    def __repr__(self) -> str:
        return f"<{self.device_type} {self.number} at {self.server.address}>"

    #: Called after each connection (the device's own settings): a driver that
    #: was restarted has lost them.
    on_connect: Callable[[float], None] | None = None

    def get(self, member: str, timeout: float = 5.0, **params: Any) -> Any:
        return self._call("GET", member, timeout, params)

    def put(self, member: str, timeout: float = 5.0, **params: Any) -> Any:
        return self._call("PUT", member, timeout, params)

    def connect(self, timeout: float = 10.0) -> None:
        """Ask the server to connect the driver to its hardware (``Connected=True``),
        then set the device up (``on_connect``)."""
        deadline = time.monotonic() + timeout
        if not self._send("GET", "connected", timeout, {}):
            self._send("PUT", "connected", timeout, {"Connected": True})
        if self.on_connect is not None and not self._setting_up:
            self._setting_up = True  # a setup that meets NotConnected does not recurse
            try:
                self.on_connect(max(deadline - time.monotonic(), 0.5))
            finally:
                self._setting_up = False

    def state(self, names: tuple[str, ...], timeout: float = 5.0,
              tolerant: bool = False) -> dict[str, Any]:
        """Several members at once: the Platform 7 ``devicestate`` in one request where
        the driver has it (and it holds them all), else one request per member.
        ``tolerant``: a member that fails alone is None instead of failing them all."""
        if self._device_state:
            try:
                listed = self.get("devicestate", timeout)
                values = {str(item["Name"]).lower(): item["Value"] for item in listed}
            except (DeviceDisconnected, DeviceTimeout):
                raise
            except (DeviceError, KeyError, TypeError):
                # None (NotImplemented, HTTP 400 or 404), or one we cannot read.
                self._device_state = False
            else:
                # A value the driver cannot give now is left out of devicestate.
                return {name: values[name.lower()] if name.lower() in values
                        else self._member(name, timeout, tolerant) for name in names}
        return {name: self._member(name, timeout, tolerant) for name in names}

    def _member(self, name: str, timeout: float, tolerant: bool) -> Any:
        try:
            return self.get(name, timeout)
        except (DeviceDisconnected, DeviceTimeout):
            raise
        except DeviceError:
            if not tolerant:
                raise
            return None

    def _call(self, method: str, member: str, timeout: float, params: dict[str, Any]) -> Any:
        try:
            return self._send(method, member, timeout, params)
        except DeviceDisconnected as error:
            if getattr(error, "alpaca_number", None) != NOT_CONNECTED:
                raise
        self.connect(timeout)  # the driver was restarted or let go: connect, try once more
        return self._send(method, member, timeout, params)

    def _send(self, method: str, member: str, timeout: float, params: dict[str, Any]) -> Any:
        transaction = next_transaction()
        ids = {"ClientID": CLIENT_ID, "ClientTransactionID": transaction}
        values = {k: _wire(v) for k, v in params.items()}
        url = f"{self.path}/{member.lower()}"
        try:
            if method == "GET":
                response = self.server.http.get(url, params={**values, **ids}, timeout=timeout)
            else:
                response = self.server.http.put(url, data={**values, **ids}, timeout=timeout)
        except httpx.TimeoutException as exc:
            raise DeviceTimeout(self.label, f"{member}: no answer from {self.server.address} "
                                            f"within {timeout:g} s") from exc
        except httpx.TransportError as exc:
            raise DeviceDisconnected(self.label, f"{member}: cannot reach "
                                                 f"{self.server.address}: {exc}") from exc
        return self._value(member, response, transaction)

    def _value(self, member: str, response: httpx.Response, transaction: int) -> Any:
        if response.status_code == 400:
            raise DeviceRefused(self.label, f"{member}: the server refused the request: "
                                            f"{response.text.strip()[:300]}")
        if response.status_code != 200:
            raise DeviceError(self.label, f"{member}: HTTP {response.status_code} from "
                                          f"{self.server.address}: "
                                          f"{response.text.strip()[:300]}")
        try:
            answer = response.json()
        except ValueError:
            raise DeviceError(self.label, f"{member}: the answer is not JSON") from None
        if not isinstance(answer, dict) or not isinstance(answer.get("ErrorNumber", 0), int):
            raise DeviceError(self.label, f"{member}: the answer is not an Alpaca response")
        self._check_echo(member, answer.get("ClientTransactionID"), transaction)
        number = answer.get("ErrorNumber", 0)
        if number:
            raise error_for(self.label, member, number, str(answer.get("ErrorMessage", "")))
        return answer.get("Value")

    def _check_echo(self, member: str, echoed: object, transaction: int) -> None:
        if echoed not in (None, 0, transaction):
            raise DeviceError(self.label, f"{member}: the answer is for transaction "
                                          f"{echoed}, not {transaction}")

    def image(self, timeout: float = 60.0) -> np.ndarray:
        """The last image, as (height, width): ImageBytes when the server offers it,
        JSON otherwise."""
        transaction = next_transaction()
        try:
            response = self.server.http.get(
                f"{self.path}/imagearray", timeout=timeout,
                headers={"Accept": f"{IMAGEBYTES}, application/json;q=0.5"},
                params={"ClientID": CLIENT_ID, "ClientTransactionID": transaction})
        except httpx.TimeoutException as exc:
            raise DeviceTimeout(self.label, f"imagearray: no image within {timeout:g} s") \
                from exc
        except httpx.TransportError as exc:
            raise DeviceDisconnected(self.label, f"imagearray: {exc}") from exc
        try:
            if response.status_code == 200 and \
                    response.headers.get("content-type", "").startswith(IMAGEBYTES):
                pixels, echoed = decode_imagebytes(response.content)
                self._check_echo("imagearray", echoed, transaction)
                return pixels
            answer = self._value("imagearray", response, transaction)
            return decode_json_image({**response.json(), "Value": answer})
        except ImageBytesError as exc:
            raise error_for(self.label, "imagearray", exc.number, exc.message) from None
        except ImageFormatError as exc:
            raise DeviceError(self.label, f"imagearray: {exc}") from None


def _wire(value: Any) -> str:
    """A parameter as Alpaca wants it in a form: booleans as True/False, numbers as
    invariant-culture text."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float):
        return repr(value)
    return str(value)
