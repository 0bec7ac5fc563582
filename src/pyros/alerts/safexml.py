"""A packet's bytes into an XML tree, as if they were hostile (they may be).

Packets arrive from brokers anyone can publish to: size limit first, then a parser with
entities, DTDs and network access off; a DOCTYPE is refused outright (entity expansion
and external entities both need one, in any of the encodings XML allows), XInclude is
never processed, comments and processing instructions are dropped. What is not a
VOEvent 1.1 / 2.0 root raises :class:`VOEventError` naming the problem.
"""

from __future__ import annotations

import re

from lxml import etree

#: Larger packets are refused before parsing; real ones are a few kilobytes.
MAX_PACKET_BYTES = 1024 * 1024

NAMESPACES = {
    "http://www.ivoa.net/xml/VOEvent/v2.0": "2.0",
    "http://www.ivoa.net/xml/VOEvent/v1.1": "1.1",
}

_DTD_MARKUP = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)

class VOEventError(ValueError):
    """A packet that cannot be accepted; ``reason`` says why, for the decision log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def safe_parser() -> etree.XMLParser:
    """No entities, no network, no DTD, no huge trees: a packet is hostile until read."""
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
        huge_tree=False, remove_comments=True, remove_pis=True, collect_ids=False,
    )


def safe_root(data: bytes) -> tuple[etree._Element, str]:
    """The root element with namespaces stripped, and the VOEvent version."""
    if not isinstance(data, bytes | bytearray):
        raise VOEventError("a packet must be bytes")
    if len(data) > MAX_PACKET_BYTES:
        raise VOEventError(f"packet too large ({len(data)} bytes; limit {MAX_PACKET_BYTES})")
    if not data.strip():
        raise VOEventError("empty packet")
    if _declares_dtd(data):
        raise VOEventError("a DOCTYPE or ENTITY declaration is not allowed in a packet")
    start = data.lstrip().removeprefix(b"\xef\xbb\xbf").lstrip()
    wide = b"\x00" in data[:4] or data.startswith((b"\xff\xfe", b"\xfe\xff"))
    if not start.startswith(b"<") and not wide:
        raise VOEventError("not XML: the packet does not start with '<'")
    try:
        root = etree.fromstring(bytes(data), safe_parser())
    except etree.XMLSyntaxError as exc:
        if _error_at_end(data, exc):
            raise VOEventError(f"truncated XML: {exc}") from exc
        raise VOEventError(f"not well-formed XML: {exc}") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise VOEventError("a DOCTYPE or ENTITY declaration is not allowed in a packet")

    qname = etree.QName(root)
    if qname.localname != "VOEvent":
        raise VOEventError(f"the root element is <{qname.localname}>, not <VOEvent>")
    if qname.namespace is None:
        version = (root.get("version") or "2.0").strip()
    elif qname.namespace in NAMESPACES:
        version = NAMESPACES[qname.namespace]
    else:
        raise VOEventError(f"namespace {qname.namespace!r} is not VOEvent 1.1 or 2.0")
    for element in root.iter():
        if isinstance(element.tag, str):  # 1.1 packets put WhereWhen in the STC namespace
            element.tag = etree.QName(element).localname
    return root, version


def _declares_dtd(data: bytes) -> bool:
    """Whether the bytes hold DTD markup, also in the UTF-16 / UTF-32 that XML allows."""
    if _DTD_MARKUP.search(data):
        return True
    if b"\x00" not in data[:4] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    for codec in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
        text = data.decode(codec, "ignore")
        if re.search(r"<!(DOCTYPE|ENTITY)", text, re.IGNORECASE):
            return True
    return False


def _error_at_end(data: bytes, exc: etree.XMLSyntaxError) -> bool:
    """Whether the parser gave up at the very end of the bytes: the packet was cut."""
    lines = data.split(b"\n")
    line, column = exc.position
    return line >= len(lines) and column >= len(lines[-1].decode("utf-8", "replace"))


def text_of(element: etree._Element | None) -> str | None:
    """An element's text, stripped; None when there is none."""
    if element is None or element.text is None:
        return None
    return element.text.strip() or None
