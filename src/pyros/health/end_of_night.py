"""The end of a night as the majordome says it: a night-log line written once, when
the observatory is closed in the morning after a night it ran through (the dawn close,
or a night spent closed). The health agent reacts to it; the majordome only writes it,
so the close is never delayed by what follows.

The line is a STATE entry with ``detail["key"] = "night-YYYY-MM-DD:end"`` (like the
calibrations' ``…:end``) and no ``to`` state, so the timeline ignores it.
"""

from __future__ import annotations

from datetime import date

from pyros.majordome.models import NIGHT_ENDED, LogKind, NightLogEntry, night_end_key


def night_end_entry(night: date) -> NightLogEntry | None:
    return NightLogEntry.objects.filter(night=night, kind=LogKind.NIGHT,
                                        detail__key=night_end_key(night)).first()


def ended_nights(since: date) -> list[date]:
    """The nights since ``since`` whose end the majordome logged, oldest first."""
    rows = NightLogEntry.objects.filter(night__gte=since, kind=LogKind.NIGHT,
                                        message__startswith=NIGHT_ENDED)
    return sorted({row.night for row in rows
                   if isinstance(row.detail, dict)
                   and row.detail.get("key") == night_end_key(row.night)})
