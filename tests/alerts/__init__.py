"""The alert intake's plain-Python core: VOEvent parsing (real packets from the
missions, hostile and malformed ones) and the grouping of packets into events. No
database, no network.

The real packets live in ``data/``, each with its source in ``data/SOURCES.md``."""

from pathlib import Path

from pyros.alerts.voevent import Alert, parse_voevent

DATA = Path(__file__).parent / "data"


def packet(name: str) -> bytes:
    return (DATA / name).read_bytes()


def alert(name: str) -> Alert:
    return parse_voevent(packet(name))
