"""One row of the fault table per fault, and the table itself (markdown, JSON)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class FaultRow:
    """What one fault cost. Times are wall seconds from the moment it was injected."""

    fault: str
    #: The process (or the link, the database server) back: a new pid, SIGCONT, pg_ctl.
    back: float | None = None
    #: Working again: the new agent's first heartbeat, the web page answering, every
    #: agent beating after the database restart, the majordome deciding on a live PLC.
    ready: float | None = None
    #: Commands left RUNNING by a dead executor, sequences left EXECUTING by nobody.
    lost: int = 0
    #: Sequences that ended EXECUTED twice; commands claimed by two executors.
    duplicated: int = 0
    #: Commands the dead incarnation was running, ended KILLED (accounted, not lost).
    killed: int = 0
    #: Sequences given back to the scheduler or FAILED with a reason by the fault.
    given_back: int = 0
    #: What made the observatory safe, if anything had to.
    safety: str = ""
    safety_ok: bool = True
    #: The first frame recorded after the fault was over.
    resumed: float | None = None
    note: str = ""

    def ok(self) -> bool:
        return (self.lost == 0 and self.duplicated == 0 and self.safety_ok
                and self.resumed is not None and self.ready is not None)


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def markdown(rows: list[FaultRow]) -> str:
    lines = ["| fault | back (s) | ready (s) | lost | duplicated | killed | given back "
             "| safety | resumed (s) | note |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        safety = row.safety + ("" if row.safety_ok else " **NOT SAFE**")
        lines.append(f"| {row.fault} | {_seconds(row.back)} | {_seconds(row.ready)} | "
                     f"{row.lost} | {row.duplicated} | {row.killed} | {row.given_back} | "
                     f"{safety} | {_seconds(row.resumed)} | {row.note} |")
    return "\n".join(lines)


def as_json(rows: list[FaultRow]) -> list[dict]:
    return [{**asdict(row), "ok": row.ok()} for row in rows]
