"""The "scheduler" agent: keeps tonight's plan up to date.

Every second it reads a handful of markers — the planning marker's version (bumped when
a request is submitted or cancelled, by the majordome when a sequence is executed or
fails, by anyone who wants a re-plan), the safety status, the night, whether the dark
time has begun — and re-plans the night with the optimising
engine when one of them moved. It never compares plans or sequences to find out.

Alerts do not wait for that: the ``insert`` command puts the given sequences into the
current plan at once with the incremental engine, and the new plan is saved (trigger
ALERT) before the command returns; it then tells the majordome (``plan_changed``),
which preempts. A newcomer of a higher priority than the executing sequence is placed
from now, over it: the majordome interrupts that sequence and hands it back.

Whatever is executing stays fixed, and so does the next sequence when it starts within
:data:`FREEZE` seconds: the telescope may already be slewing to it. In IDLE mode the
agent keeps its plan but does not re-plan by itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from threading import Lock
from typing import Annotated, Any

from pydantic import Field

from pyros import clock
from pyros.agents import bus
from pyros.agents.agent import Agent, command
from pyros.agents.context import CommandContext
from pyros.agents.registry import majordome_name
from pyros.agents.schema import Reason, RecordId
from pyros.agents.states import AgentMode
from pyros.config.loader import active_config
from pyros.config.schema import UnitConfig
from pyros.monitoring.models import SafetyState
from pyros.observations.lifecycle import SequenceStatus
from pyros.observations.models import Sequence
from pyros.scheduling import store
from pyros.scheduling.incremental import insert_sequences
from pyros.scheduling.models import Schedule, Trigger
from pyros.scheduling.planner import DEFAULT_TIME_LIMIT, make_plan
from pyros.scheduling.problem import FixedEntry, Problem
from pyros.scheduling.sky import night_sky

FREEZE = 60.0  # seconds: a sequence starting this soon keeps its place
ANNOUNCE_VALIDITY = 30.0  # seconds the majordome has to read a plan_changed command
#: Sequences one insert_now may bring (an alert's request has a handful).
MAX_INSERTED = 1000
AlertSequences = Annotated[list[RecordId], Field(min_length=1, max_length=MAX_INSERTED)]


class SchedulerAgent(Agent):
    expected_errors = (ValueError,)

    def __init__(self, name: str, computer: str = "localhost", *,
                 unit: UnitConfig | None = None, time_limit: float = DEFAULT_TIME_LIMIT,
                 test_mode: bool = False) -> None:
        super().__init__(name, computer)
        self._unit = unit
        self.time_limit = time_limit
        # A re-plan holds the main loop for up to the time limit.
        self.beat_validity = Agent.beat_validity + time_limit
        self._seen: dict[str, Any] | None = None
        self._planning = Lock()
        self.last_schedule: Schedule | None = None

    @property
    def unit(self) -> UnitConfig:
        return self._unit or active_config()

    def describe(self) -> dict[str, Any]:
        schedule = self.last_schedule
        return {"schedule": schedule.pk if schedule else None,
                "planned": schedule.entries.count() if schedule else None}

    # -- what changed ------------------------------------------------------------------

    def inputs(self, now: datetime) -> dict[str, Any]:
        night = store.tonight(self.unit, now)
        sky = night_sky(store.site_of(self.unit), night)
        dark_start = sky.at(sky.dark_seconds[0]) if sky.has_dark_time else None
        safety = SafetyState.objects.filter(pk=SafetyState.SINGLETON_ID).values_list(
            "status", flat=True).first()
        return {
            "night": night,
            "dark": dark_start is not None and now >= dark_start,
            "marker": store.marker().version,
            "safety": safety,
        }

    @staticmethod
    def trigger_for(before: dict[str, Any] | None, after: dict[str, Any]
                    ) -> tuple[Trigger, str] | None:
        if before is None:
            return Trigger.OPERATOR, "scheduler started"
        if before["night"] != after["night"] or before["dark"] != after["dark"]:
            if after["dark"]:
                return Trigger.START_OF_NIGHT, "the dark time has begun"
            return Trigger.START_OF_NIGHT, f"night of {after['night']}"
        if before["marker"] != after["marker"]:
            found = store.marker()
            return Trigger(found.trigger or Trigger.OPERATOR), found.detail
        if before["safety"] != after["safety"]:
            return Trigger.CONDITIONS, f"safety {before['safety']} → {after['safety']}"
        return None

    def routine(self) -> None:
        if self.mode != AgentMode.ACTIVE:
            return
        now = clock.now()
        seen = self.inputs(now)
        change = self.trigger_for(self._seen, seen)
        if change is not None:
            self.replan(*change, now=now)
        self._seen = seen

    # -- planning ----------------------------------------------------------------------

    def _freeze_next(self, problem: Problem, now: datetime) -> None:
        """Keep the next sequence where it is when it starts within FREEZE seconds."""
        upcoming = store.current_placements(store.current_schedule(problem.night), after=now)
        soon = [p for p in upcoming if p.start <= now + timedelta(seconds=FREEZE)]
        for placement in soon[:1]:
            problem.fixed.append(FixedEntry(placement.id, placement.start, placement.end))
            problem.sequences = [s for s in problem.sequences if s.id != placement.id]

    def replan(self, trigger: Trigger, detail: str = "", *,
               now: datetime | None = None) -> Schedule:
        with self._planning:
            now = now or clock.now()
            problem = store.build_problem(self.unit, now=now)
            self._freeze_next(problem, now)
            result = make_plan(problem, engine="optimal", time_limit=self.time_limit)
            schedule = store.save_plan(problem, result, trigger=trigger, detail=detail, now=now)
            self.last_schedule = schedule
            self._announce(schedule)
            self.log.info("re-planned (%s%s): %d sequences planned, %d not, objective %.0f"
                          "%s in %.2f s", trigger.label, f": {detail}" if detail else "",
                          len(result.placements), len(result.rejections), result.objective,
                          f" ({result.objective / result.bound:.1%} of the bound)"
                          if result.bound else "", result.elapsed)
            return schedule

    def insert(self, sequence_ids: list[int], *, detail: str = "",
               now: datetime | None = None) -> Schedule:
        with self._planning:
            now = now or clock.now()
            problem = store.build_problem(self.unit, now=now, only=set(sequence_ids))
            current = store.current_placements(store.current_schedule(problem.night), after=now)
            new_ids = {str(i) for i in sequence_ids}
            known = {s.id for s in problem.sequences}
            missing = new_ids - known
            if missing:
                raise ValueError(f"sequences {', '.join(sorted(missing))} are not waiting "
                                 "to be planned tonight (not submitted, ended or unknown)")
            protect_until = now + timedelta(seconds=FREEZE)
            preempted = self._preemptable(problem, sequence_ids)
            if preempted:
                # A higher priority takes the telescope now: what executes is not kept
                # (the majordome interrupts it and gives it back), nor the next start.
                problem.fixed = [f for f in problem.fixed if f.id not in preempted]
                protect_until = now
            result = insert_sequences(problem, current, new_ids, protect_until=protect_until)
            schedule = store.save_plan(problem, result, trigger=Trigger.ALERT,
                                       detail=detail or f"sequences {sorted(sequence_ids)}",
                                       now=now)
            self.last_schedule = schedule
            self._announce(schedule)
            self.log.info("inserted %s in %.1f ms", sorted(sequence_ids), result.elapsed * 1e3)
            return schedule

    def _announce(self, schedule: Schedule) -> None:
        """Wake the majordome: a new plan may preempt what it executes. Unread (no
        majordome running), the command expires harmlessly."""
        bus.send_command(majordome_name(), "plan_changed", sender=self.name,
                         validity=bus.wall_validity(ANNOUNCE_VALIDITY), schedule=schedule.pk)

    @staticmethod
    def _preemptable(problem: Problem, sequence_ids: list[int]) -> set[str]:
        """The executing sequences of a lower priority than the highest newcomer's."""
        if not problem.fixed:
            return set()
        newcomers = {str(i) for i in sequence_ids}
        top = max((s.priority for s in problem.sequences if s.id in newcomers), default=0)
        executing = Sequence.objects.filter(pk__in=[int(f.id) for f in problem.fixed],
                                            status=SequenceStatus.EXECUTING)
        return {str(s.pk) for s in executing if s.priority < top}

    # -- commands ----------------------------------------------------------------------

    @command
    def insert_now(self, ctx: CommandContext, sequences: AlertSequences,
                   reason: Reason = "") -> dict[str, Any]:
        """Put these sequences (an alert's) into the current plan at once."""
        schedule = self.insert(sequences, detail=reason)
        return _summary(schedule, sequences)

    @command
    def replan_now(self, ctx: CommandContext, reason: Reason = "") -> dict[str, Any]:
        """Re-plan the rest of the night now."""
        return _summary(self.replan(Trigger.OPERATOR, reason or f"asked by {ctx.sender}"))

    @command
    def plan(self, ctx: CommandContext) -> dict[str, Any]:
        """The current plan: ids and times."""
        schedule = store.current_schedule()
        if schedule is None:
            return {"schedule": None}
        return _summary(schedule)


def _summary(schedule: Schedule, asked: list[int] | None = None) -> dict[str, Any]:
    entries = list(schedule.entries.order_by("position"))
    summary: dict[str, Any] = {
        "schedule": schedule.pk, "night": schedule.night.isoformat(),
        "trigger": schedule.trigger, "objective": schedule.objective,
        "bound": schedule.bound, "elapsed_s": round(schedule.elapsed, 4),
        "plan": [{"sequence": e.sequence_id, "start": e.start.isoformat(),
                  "end": e.end.isoformat()} for e in entries],
    }
    if asked is not None:
        planned = {e.sequence_id for e in entries}
        summary["planned"] = [i for i in asked if i in planned]
        summary["unplanned"] = {u.sequence_id: u.reason for u in schedule.unplanned.all()
                                if u.sequence_id in set(asked)}
    return summary
