"""Sending a packet to a VOEvent broker as an author: the VOEvent Transport Protocol
(IVOA note), a 4-byte big-endian length then the XML, answered by a Transport message
whose role is ``ack`` or ``nak``. Small enough to write here, so that ``pyros alert
send`` and the latency benchmark hand a packet over with no process to start."""

from __future__ import annotations

import socket
import struct

from lxml import etree

MAX_ANSWER = 1 << 20


class TransportError(Exception):
    """The broker could not be reached, or did not answer."""


def send_packet(host: str, port: int, data: bytes, *, timeout: float = 10.0) -> tuple[bool, str]:
    """Send one packet; return (acknowledged, what the broker said)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as connection:
            connection.sendall(struct.pack("!I", len(data)) + data)
            size = struct.unpack("!I", _read(connection, 4))[0]
            if size > MAX_ANSWER:
                raise TransportError(f"the broker's answer is too long ({size} bytes)")
            answer = _read(connection, size)
    except OSError as exc:
        raise TransportError(f"cannot send to the broker at {host}:{port}: {exc}") from exc
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(answer, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise TransportError(f"the broker's answer is not XML: {exc}") from exc
    role = root.get("role", "")
    meta = " ".join(t.strip() for t in root.itertext() if t.strip())
    return role == "ack", f"{role}: {meta}" if meta else role


def _read(connection: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = connection.recv(min(left, 65536))
        if not chunk:
            raise TransportError("the broker closed the connection before answering")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
