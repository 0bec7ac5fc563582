"""Previews made on demand by the web server, bounded.

A frame whose previews were pruned gets them again when someone looks at it: 0.2–0.5 s
of CPU each (more for a large frame), in a web thread. A page of old thumbnails, or a
script asking for them, would otherwise put every thread of a worker to that work at
once. So at most :data:`MAKERS` previews are being made at once in each worker process;
a request that finds none free within :data:`WAIT` seconds is told to retry
(:class:`PreviewsBusy`: 429 for an image, the frame's page without its picture).
Previews already made cost nothing and are never refused.
"""

from __future__ import annotations

import threading

from pyros.archive.ingest import previews_made, previews_of
from pyros.archive.models import ArchiveFrame
from pyros.config.schema import UnitConfig

MAKERS = 2
WAIT = 2.0  # seconds: a few previews' time
RETRY_AFTER = 2

_makers = threading.BoundedSemaphore(MAKERS)


class PreviewsBusy(Exception):
    """Every preview maker of this worker is busy."""


def previews_now(unit: UnitConfig, frame: ArchiveFrame) -> bool:
    """:func:`~pyros.archive.ingest.previews_of`, bounded as the module says."""
    if previews_made(unit, frame):
        return True
    if not _makers.acquire(timeout=WAIT):
        raise PreviewsBusy("previews are being made for others: try again in a moment")
    try:
        return previews_of(unit, frame)
    finally:
        _makers.release()
