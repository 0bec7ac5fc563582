"""The majordome without its database: what it decides from, and the night log it keeps
until the database is back.

On two computers the telescope's majordome reaches the database (safety, the plan, the
operator's switches) across a network link. When that link is cut, safety can no longer
be established: the majordome decides as if the monitoring were silent (no PLC link in
the table's terms), so the table closes the dome and parks the mount from any state,
REMOTE and PASSIVE included, through the devices it talks to directly. What it would
have written to the night log meanwhile is held here and written, in order and with
its own times, when the database answers again: the night log has no hole.

Plain Python: no Django, no database.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from pyros.majordome.states import Inputs, Mode, Phase

#: The cause written to the night log for the offline decisions.
NO_DATABASE = "the database is unreachable: safety cannot be established"
#: Entries held at most (a night cut off for hours logs a transition now and then, not
#: thousands; past this, the oldest go).
HELD_AT_MOST = 500


def offline_inputs(last: Inputs | None, *, closed: bool, opened: bool, busy: bool,
                   fault: bool) -> Inputs:
    """The inputs of a decision taken without the database: the last ones known, with
    no PLC link and no safety (neither can be read) and the devices as they are now."""
    base = last or Inputs(plc_link=False, plc_auto=False, safe=False, bypass=False,
                          locked=False, mode=Mode.SCHEDULER, phase=Phase.NIGHT,
                          night_ack=False, closed=closed, opened=opened, stopped=False,
                          busy=busy)
    return replace(base, plc_link=False, safe=False, bypass=False, closed=closed,
                   opened=opened, busy=busy, fault=fault)


@dataclass
class HeldEntry:
    kind: Any  # LogKind (a Django model's choices: kept opaque here)
    message: str
    options: dict[str, Any]


@dataclass
class HeldLog:
    """Night-log entries written while the database was away."""

    entries: list[HeldEntry] = field(default_factory=list)
    dropped: int = 0

    def hold(self, kind: Any, message: str, **options: Any) -> None:
        self.entries.append(HeldEntry(kind, message, options))
        if len(self.entries) > HELD_AT_MOST:
            self.entries.pop(0)
            self.dropped += 1

    def flush(self, write) -> int:
        """Write every held entry with ``write(kind, message, **options)``, oldest first;
        an entry stays held if its write fails (the database went again)."""
        written = 0
        while self.entries:
            entry = self.entries[0]
            write(entry.kind, entry.message, **entry.options)
            self.entries.pop(0)
            written += 1
        return written


def outage_summary(since: datetime, back: datetime, dropped: int) -> str:
    seconds = (back - since).total_seconds()
    text = (f"the database was unreachable for {seconds:.0f} s (from {since:%H:%M:%S} "
            f"UTC): decided without it, as with a silent monitoring (closed and parked)")
    if dropped:
        text += f"; {dropped} older night-log entries of that time were not kept"
    return text
