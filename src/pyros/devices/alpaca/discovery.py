"""Finding Alpaca servers and their devices.

Alpaca discovery: a client sends the datagram ``alpacadiscovery1`` to UDP port 32227
(broadcast on the local network by default); each server answers to the sender with
``{"AlpacaPort": n}``, its HTTP port. The devices a server offers come from its
Management API (``/management/v1/configureddevices``). Both are what ``pyros device
discover`` prints, in the form the configuration's ``[devices]`` entries take.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass

from pyros.devices.alpaca.client import AlpacaServer
from pyros.devices.errors import DeviceError

DISCOVERY_PORT = 32227
DISCOVERY_MESSAGE = b"alpacadiscovery1"
BROADCAST = "255.255.255.255"

#: Our config's device kinds by Alpaca device type.
KINDS = {"telescope": "mount", "dome": "dome", "camera": "camera",
         "filterwheel": "filterwheel", "focuser": "focuser",
         "observingconditions": "weather", "safetymonitor": "weather"}


@dataclass(frozen=True)
class FoundServer:
    host: str
    port: int  # the HTTP port it answered with

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class FoundDevice:
    server: str  # host:port
    device_type: str  # lower case, as in the URL
    number: int
    name: str
    unique_id: str

    @property
    def kind(self) -> str | None:
        """Our configuration's kind for it; None for a type PyROS does not drive."""
        return KINDS.get(self.device_type)


def discover(address: str = BROADCAST, port: int = DISCOVERY_PORT,
             timeout: float = 2.0) -> list[FoundServer]:
    """Every server that answered within ``timeout`` seconds, in the order they did.
    ``address``: where the datagram goes (the broadcast address, or one host)."""
    found: dict[tuple[str, int], FoundServer] = {}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        sock.bind(("", 0))
        sock.sendto(DISCOVERY_MESSAGE, (address, port))
        end = time.monotonic() + timeout
        while (left := end - time.monotonic()) > 0:
            sock.settimeout(left)
            try:
                data, (host, _) = sock.recvfrom(1024)
            except TimeoutError:
                break
            server = _answer(host, data)
            if server is not None:
                found.setdefault((server.host, server.port), server)
    return list(found.values())


def _answer(host: str, data: bytes) -> FoundServer | None:
    """A server from its answer; None for a datagram that is not one (ignored)."""
    try:
        answer = json.loads(data)
        port = answer["AlpacaPort"]
    except (ValueError, KeyError, TypeError):
        return None
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        return None
    return FoundServer(host, port)


def configured_devices(address: str, timeout: float = 5.0) -> list[FoundDevice]:
    """The devices an Alpaca server offers (DeviceError if it cannot tell)."""
    server = AlpacaServer(address)
    try:
        listed = server.management("configureddevices", timeout)
    finally:
        server.close()
    if not isinstance(listed, list):
        raise DeviceError(address, "configureddevices is not a list")
    devices = []
    for entry in listed:
        try:
            devices.append(FoundDevice(address, str(entry["DeviceType"]).lower(),
                                       int(entry["DeviceNumber"]), str(entry["DeviceName"]),
                                       str(entry.get("UniqueID", ""))))
        except (KeyError, TypeError, ValueError):
            continue  # an entry we cannot read is left out, not fatal
    return devices
