"""What the database says after a fault: the fault night's account of lost and
duplicated work, frames, the majordome's state and the agents' heartbeats. Every read
goes through ``probes.query``: the database server may be the thing just restarted."""

from __future__ import annotations

from collections import Counter

from pyros.faults.probes import query


def last_log_id() -> int:
    from django.db.models import Max

    from pyros.majordome.models import NightLogEntry

    return query(lambda: NightLogEntry.objects.aggregate(m=Max("id"))["m"] or 0, 0)


def science_frames() -> int:
    from pyros.images.models import Image

    return query(lambda: Image.objects.filter(sequence__isnull=False).count(), 0)


def majordome_state() -> str:
    from pyros.majordome.models import MajordomeState

    return query(lambda: MajordomeState.objects.values_list("state", flat=True).first()
                 or "", "")


def beating(name: str, pid: int) -> bool:
    """The agent ``name`` runs in process ``pid`` and has beaten since it started."""
    from pyros.agents.models import AgentSurvey

    return query(lambda: AgentSurvey.objects.filter(
        name=name, pid=pid, status__startswith="RUNNING").exists(), False)


def lost(children: dict[str, int], computer: str = "main") -> list[str]:
    """What is lost, each said in a few words: commands RUNNING for an executor
    (``agent@computer:pid``) that is no more, sequences EXECUTING that the majordome is
    not executing."""
    from pyros.agents.models import Command
    from pyros.majordome.models import MajordomeState
    from pyros.observations.models import Sequence

    live = {f"{name}@{computer}:{pid}" for name, pid in children.items()}
    orphans = query(lambda: [f"command #{pk} {name} RUNNING for {executor}" for
                             pk, name, executor in Command.objects.filter(state="RUNNING")
                             .exclude(executor__in=live).values_list("pk", "name",
                                                                     "executor")], [])
    current = query(lambda: MajordomeState.objects.values_list(
        "sequence_id", flat=True).first(), None)
    executing = Sequence.objects.filter(status="EXECUTING")
    stuck = query(lambda: [f"sequence #{pk} EXECUTING by nobody" for pk in
                           (executing.exclude(pk=current) if current else executing)
                           .values_list("pk", flat=True)], [])
    return orphans + stuck


def duplicated() -> int:
    """Sequences whose execution ended EXECUTED more than once (the night log)."""
    from pyros.majordome.models import NightLogEntry

    ends = query(lambda: list(NightLogEntry.objects.filter(
        kind="SEQUENCE", detail__outcome="EXECUTED").values_list("sequence_id", flat=True)),
        [])
    return sum(1 for count in Counter(ends).values() if count > 1)


def killed(executor: str) -> int:
    from pyros.agents.models import Command

    return query(lambda: Command.objects.filter(executor=executor, state="KILLED").count(),
                 0)


def given_back(after_log_id: int) -> int:
    """Sequences interrupted or failed since the night log entry ``after_log_id``."""
    from pyros.majordome.models import NightLogEntry

    return query(lambda: NightLogEntry.objects.filter(
        pk__gt=after_log_id, kind="SEQUENCE").filter(
        message__regex=r"given back|FAILED|INTERRUPTED").count(), 0)


def closing_transitions(after_log_id: int, closed_states: tuple[str, ...]
                        ) -> list[tuple[str, str]]:
    """(state, cause) of the majordome's moves to a closed state since the entry."""
    from pyros.majordome.models import NightLogEntry

    states = query(lambda: [(e.detail.get("to"), e.detail.get("cause")) for e in
                            NightLogEntry.objects.filter(pk__gt=after_log_id, kind="STATE")],
                   [])
    return [(to, cause) for to, cause in states if to in closed_states]
