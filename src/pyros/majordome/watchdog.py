"""The devices' watchdog seen from the majordome: when the dome or the mount made
itself safe because the heartbeats stopped, the night log and the majordome's log say
so, once per trip, even when the trip happened while the majordome was away (killed,
hung: it is then the first thing the new one finds).

Plain Python: the trips already logged are given by the caller (read from the night
log), and what to write is returned.
"""

from __future__ import annotations

from datetime import datetime

#: The key of the night log entry's detail naming the device whose watchdog tripped.
DETAIL_KEY = "watchdog"


class WatchdogTrips:
    """The last trip logged per device; ``new_trip`` tells a trip not yet logged."""

    def __init__(self, logged: dict[str, datetime] | None = None) -> None:
        self._logged: dict[str, datetime] = dict(logged or {})

    def new_trip(self, device: str, tripped_at: datetime | None) -> bool:
        if tripped_at is None:
            return False
        last = self._logged.get(device)
        if last is not None and tripped_at <= last:
            return False
        self._logged[device] = tripped_at
        return True


def trip_message(kind: str, device: str, tripped_at: datetime, heartbeat: float) -> str:
    made_safe = "closed its shutter" if kind == "dome" else "parked"
    return (f"watchdog tripped: the {kind} {device!r} {made_safe} by itself at "
            f"{tripped_at:%H:%M:%S} UTC, having had no heartbeat from the majordome for "
            f"{heartbeat:g} s of wall time")


def trip_detail(device: str, tripped_at: datetime) -> dict[str, str]:
    return {DETAIL_KEY: device, "tripped_at": tripped_at.isoformat()}


def logged_trips(details: list[dict]) -> dict[str, datetime]:
    """The last trip per device among the night log's details (``trip_detail``)."""
    logged: dict[str, datetime] = {}
    for detail in details:
        try:
            device, when = detail[DETAIL_KEY], datetime.fromisoformat(detail["tripped_at"])
        except (KeyError, TypeError, ValueError):
            continue
        if device not in logged or when > logged[device]:
            logged[device] = when
    return logged
