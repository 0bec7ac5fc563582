"""An Alpaca server of simulated devices: a real HTTP server (the Alpaca Device API and
the Management API) and the UDP discovery responder, for tests, benchmarks and trying
the ``alpaca`` backend without hardware (``pyros sim alpaca``).

Faults for the tests of error paths: ``silent`` (requests are held unanswered, so
clients time out), ``fault`` (answers that are not JSON, or that echo another
transaction), a device's ``connected`` set False (it answers NotConnected, as a driver
its server restarted), its ``device_state`` False (no Platform 7 DeviceState), its
``refuse_connection`` (its hardware cannot be reached), ``stop()`` (server gone).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pyros.devices.alpaca.images import (
    IMAGEBYTES,
    encode_imagebytes,
    encode_imagebytes_error,
)
from pyros.simulators.alpaca.common import AlpacaFault, BadRequest, SimClock, SimDevice
from pyros.simulators.alpaca.motion import SimDome, SimFilterWheel, SimFocuser, SimTelescope
from pyros.simulators.alpaca.sensors import SimCamera, SimObservingConditions, SimSafetyMonitor

DISCOVERY_MESSAGE = b"alpacadiscovery1"
MAX_BODY = 65536


def default_devices(clock: SimClock, filters: list[str] | None = None) -> list[SimDevice]:
    """One device of each type PyROS drives, each number 0."""
    return [SimTelescope("Sim telescope", clock), SimDome("Sim dome", clock),
            SimCamera("Sim camera", clock),
            SimFilterWheel("Sim filter wheel", clock, filters or ["L", "R", "G", "B"]),
            SimFocuser("Sim focuser", clock),
            SimObservingConditions("Sim weather", clock),
            SimSafetyMonitor("Sim safety monitor", clock)]


class _HttpServer(ThreadingHTTPServer):
    """Keeps its open connections, so that stop() ends the keep-alive ones too: a
    server gone is gone for its clients' pooled connections as well."""

    daemon_threads = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        with self._connections_lock:
            self.connections.add(connection)
        return connection, address

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            for connection in self.connections:
                with contextlib.suppress(OSError):  # already closed by the client
                    connection.shutdown(socket.SHUT_RDWR)


class AlpacaSimulator:
    """Serves ``devices`` on ``host:port`` (port 0: any free one); answers discovery on
    ``discovery_port`` (None: no discovery)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0,
                 discovery_port: int | None = None, speed: float = 1.0,
                 devices: list[SimDevice] | None = None) -> None:
        self.clock = SimClock(speed)
        self.devices: dict[tuple[str, int], SimDevice] = {}
        for device in devices if devices is not None else default_devices(self.clock):
            number = sum(1 for kind, _ in self.devices if kind == device.device_type)
            self.devices[(device.device_type, number)] = device
        self.silent = threading.Event()  # set: hold every request unanswered
        #: None, "garbage" (answers that are not JSON) or "misecho" (answers that echo
        #: another ClientTransactionID).
        self.fault: str | None = None
        self.last_request: tuple[str, str, dict[str, str]] | None = None
        self._released = threading.Event()
        self._server_transactions = itertools.count(1)
        self._http = _HttpServer((host, port), _handler(self))
        self.host, self.port = self._http.server_address[:2]
        self._udp: socket.socket | None = None
        if discovery_port is not None:
            self._udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self._udp.bind((host, discovery_port))
            self.discovery_port = self._udp.getsockname()[1]
        self._threads: list[threading.Thread] = []

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def device(self, device_type: str, number: int = 0) -> Any:
        return self.devices[(device_type, number)]

    def start(self) -> AlpacaSimulator:
        self._threads.append(threading.Thread(target=self._http.serve_forever,
                                              kwargs={"poll_interval": 0.05}, daemon=True))
        if self._udp is not None:
            self._threads.append(threading.Thread(target=self._answer_discovery, daemon=True))
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        self._http.shutdown()
        self._http.server_close()
        self._http.close_connections()
        for thread in self._threads:
            thread.join(timeout=5)
        if self._udp is not None:
            self._udp.close()

    def __enter__(self) -> AlpacaSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _answer_discovery(self) -> None:
        answer = json.dumps({"AlpacaPort": self.port}).encode()
        self._udp.settimeout(0.1)  # type: ignore[union-attr]
        while not self._released.is_set():
            try:
                data, sender = self._udp.recvfrom(1024)  # type: ignore[union-attr]
            except TimeoutError:
                continue
            except OSError:
                return  # closed by stop()
            if data.strip() == DISCOVERY_MESSAGE:
                self._udp.sendto(answer, sender)  # type: ignore[union-attr]

    def next_server_transaction(self) -> int:
        return next(self._server_transactions)

    def hold_if_silent(self) -> None:
        """While ``silent`` is set, a request waits (until stop(), at most 60 s)."""
        if self.silent.is_set():
            self._released.wait(60.0)

    def configured(self) -> list[dict]:
        return [{"DeviceName": d.name, "DeviceType": TYPE_NAMES[kind], "DeviceNumber": number,
                 "UniqueID": f"pyros-sim-{kind}-{number}"}
                for (kind, number), d in self.devices.items()]


#: Alpaca's spelling of each device type, as configureddevices lists it.
TYPE_NAMES = {"telescope": "Telescope", "dome": "Dome", "camera": "Camera",
              "filterwheel": "FilterWheel", "focuser": "Focuser",
              "observingconditions": "ObservingConditions", "safetymonitor": "SafetyMonitor"}


def _handler(simulator: AlpacaSimulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body leave in one segment: else Nagle's algorithm and the
        # client's delayed ACK add 40 ms to every keep-alive answer.
        disable_nagle_algorithm = True
        wbufsize = 1 << 16

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: tests and benchmarks make thousands of requests

        def do_GET(self) -> None:
            self._serve("GET")

        def do_PUT(self) -> None:
            self._serve("PUT")

        def _serve(self, method: str) -> None:
            simulator.hold_if_silent()
            url = urlsplit(self.path)
            params = {k.lower(): v for k, v in parse_qsl(url.query, keep_blank_values=True)}
            if method == "PUT":
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self._text(400, "request body too large")
                    return
                body = self.rfile.read(length).decode("utf-8", "replace")
                params.update({k.lower(): v for k, v in parse_qsl(body, keep_blank_values=True)})
            simulator.last_request = (method, url.path, params)
            if simulator.fault == "garbage":
                self._send(200, "application/json", b"<html>proxy error</html>")
                return
            parts = [p for p in url.path.lower().split("/") if p]
            client = _int(params.get("clienttransactionid"))
            if parts[:2] == ["management", "apiversions"]:
                self._json(200, {"Value": [1], **self._ids(client)})
            elif parts[:2] == ["management", "v1"] and len(parts) == 3:
                self._management(parts[2], client)
            elif len(parts) == 5 and parts[:2] == ["api", "v1"] and parts[3].isdigit():
                self._device(method, parts[2], int(parts[3]), parts[4], params, client)
            else:
                self._text(404, f"no such endpoint {url.path}")

        def _management(self, what: str, client: int) -> None:
            if what == "configureddevices":
                self._json(200, {"Value": simulator.configured(), **self._ids(client)})
            elif what == "description":
                self._json(200, {"Value": {"ServerName": "PyROS Alpaca simulator",
                                           "Manufacturer": "PyROS", "ManufacturerVersion":
                                           "1.0", "Location": "127.0.0.1"},
                                 **self._ids(client)})
            else:
                self._text(404, f"no management endpoint {what}")

        def _device(self, method: str, kind: str, number: int, member: str,
                    params: dict[str, str], client: int) -> None:
            device = simulator.devices.get((kind, number))
            if device is None:
                self._text(400, f"no {kind} number {number} on this server")
                return
            if params.get("clienttransactionid") is not None and \
                    _int(params["clienttransactionid"], -1) < 0:
                self._text(400, "ClientTransactionID must be an unsigned integer")
                return
            if kind == "camera" and member == "imagearray" and method == "GET":
                self._image(device, client)
                return
            try:
                value = device.call(method, member, params)
            except BadRequest as exc:
                self._text(400, str(exc))
                return
            except AlpacaFault as fault:
                self._json(200, {"ErrorNumber": fault.number, "ErrorMessage": fault.message,
                                 **self._ids(client)})
                return
            answer = {"ErrorNumber": 0, "ErrorMessage": "", **self._ids(client)}
            if method == "GET":
                answer["Value"] = value
            self._json(200, answer)

        def _image(self, camera: SimCamera, client: int) -> None:
            wants_bytes = IMAGEBYTES in self.headers.get("Accept", "")
            server = simulator.next_server_transaction()
            try:
                pixels = camera.image()
            except AlpacaFault as fault:
                if wants_bytes:
                    self._send(200, IMAGEBYTES, encode_imagebytes_error(
                        fault.number, fault.message, client, server))
                else:
                    self._json(200, {"ErrorNumber": fault.number, "ErrorMessage":
                                     fault.message, "ClientTransactionID": client,
                                     "ServerTransactionID": server})
                return
            if wants_bytes:
                self._send(200, IMAGEBYTES, encode_imagebytes(pixels, client, server))
            else:
                self._json(200, {"Type": 2, "Rank": 2, "Value": pixels.T.tolist(),
                                 "ErrorNumber": 0, "ErrorMessage": "",
                                 "ClientTransactionID": client, "ServerTransactionID": server})

        def _ids(self, client: int) -> dict[str, int]:
            if simulator.fault == "misecho":
                client += 1
            return {"ClientTransactionID": client,
                    "ServerTransactionID": simulator.next_server_transaction()}

        def _json(self, status: int, answer: dict) -> None:
            self._send(status, "application/json", json.dumps(answer).encode())

        def _text(self, status: int, text: str) -> None:
            self._send(status, "text/plain; charset=utf-8", text.encode())

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def _int(raw: str | None, default: int = 0) -> int:
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        return default
    return value if 0 <= value <= 4_294_967_295 else default
