"""Real packets moved in time, so that an archived alert can be sent on a simulated night
(or tonight) and be judged as if it had just happened: the strategy refuses an event
older than its rule's ``max_delay``, and the request's window starts at the event.

Every time a packet carries for the intake — ``Who/Date`` and each ``ISOTime`` — moves
by one offset, so a packet's own spacing (event, then notice) and the spacing of the
packets of one event are kept. The text keeps its form (digits of the fraction, a ``Z``
or an offset), and the namespaces stay: the broker checks the packet against the
VOEvent schema."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from lxml import etree

from pyros.alerts.voevent import MAX_PACKET_BYTES, VOEventError, safe_parser

_TIME = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?")


def _times(root: etree._Element) -> list[etree._Element]:
    """The elements holding the packet's times: Who/Date, and every ISOTime."""
    found = []
    for element in root.iter(etree.Element):
        name = etree.QName(element).localname
        parent = element.getparent()
        if name == "ISOTime" or (name == "Date" and parent is not None
                                 and etree.QName(parent).localname == "Who"):
            found.append(element)
    return found


def _read(text: str | None) -> tuple[datetime, str, str]:
    """The time (naive: shifting does not need the zone), its fraction's digits, its
    zone suffix."""
    match = _TIME.fullmatch((text or "").strip())
    if not match:
        raise VOEventError(f"{text!r} is not an ISO date and time")
    when = datetime.fromisoformat(match[1])
    fraction = match[2] or ""
    if fraction:
        when += timedelta(microseconds=round(float(f"0.{fraction}") * 1e6))
    return when, fraction, match[3] or ""


def _write(when: datetime, fraction: str, zone: str) -> str:
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    if fraction:
        micro = f"{when.microsecond:06d}"
        text += "." + (micro[:len(fraction)] if len(fraction) <= 6
                       else micro + "0" * (len(fraction) - 6))
    return text + zone


def _root(data: bytes) -> etree._Element:
    if len(data) > MAX_PACKET_BYTES:
        raise VOEventError(f"packet too large ({len(data)} bytes; limit {MAX_PACKET_BYTES})")
    try:
        return etree.fromstring(bytes(data), safe_parser())
    except etree.XMLSyntaxError as exc:
        raise VOEventError(f"not well-formed XML: {exc}") from exc


def earliest_time(packets: Iterable[bytes]) -> datetime | None:
    """The earliest time any of ``packets`` carries (UTC), the reference of the offset
    that brings them to now together."""
    earliest = None
    for data in packets:
        for element in _times(_root(data)):
            when, _, zone = _read(element.text)
            if zone not in ("", "Z"):
                when -= datetime.fromisoformat(f"2000-01-01T00:00:00{zone}").utcoffset()
            when = when.replace(tzinfo=UTC)
            earliest = when if earliest is None or when < earliest else earliest
    return earliest


def redate(data: bytes, offset: timedelta) -> bytes:
    """``data`` with every time moved by ``offset``; anything else as it was."""
    root = _root(data)
    for element in _times(root):
        when, fraction, zone = _read(element.text)
        element.text = _write(when + offset, fraction, zone)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def redate_to(packets: list[bytes], now: datetime) -> list[bytes]:
    """``packets`` moved together so that the earliest time among them is ``now`` (up to
    a second before: the offset is whole seconds, so that a time written without a
    fraction moves exactly as much as the others)."""
    earliest = earliest_time(packets)
    if earliest is None:
        return list(packets)
    offset = timedelta(seconds=math.floor((now - earliest).total_seconds()))
    return [redate(data, offset) for data in packets]
