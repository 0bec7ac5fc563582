"""The "alerts" agent: turns VOEvent packets into observations, at once.

Packets come as ``ingest`` commands (``packet``: the XML text; what the broker's handler
sends) or as files dropped in the inbox folder (``pyros.paths.alerts_inbox``, looked at
every quarter of a second). Each goes through :func:`pyros.alerts.store.ingest`; an
accepted one has its request inserted into tonight's plan by the scheduler's
``insert_now`` command, and the answer — where the alert landed in the plan, or why it
did not — goes to the packet's decision log (step PLAN) before the next packet.

Nothing a packet contains can stop the agent: a refused packet is stored with its
reason, and a failure to plan is logged.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from pyros import clock
from pyros.agents.agent import Agent, command
from pyros.agents.bus import CommandError, send_command, wall_validity
from pyros.agents.context import CommandContext
from pyros.agents.schema import ShortText
from pyros.alerts import store
from pyros.alerts.models import Step
from pyros.config.loader import active_config
from pyros.config.schema import UnitConfig
from pyros.paths import alerts_inbox

SCHEDULER = "scheduler"
PLAN_TIMEOUT = 10.0  # seconds the agent waits for the scheduler's new plan
MAX_PACKET = 1 << 20
#: A packet as a command carries it: the bus refuses arguments past 64 KiB anyway.
PacketText = Annotated[str, Field(min_length=1, max_length=MAX_PACKET)]


class AlertAgent(Agent):
    routine_period = 0.25

    def __init__(self, name: str, computer: str = "localhost", *,
                 unit: UnitConfig | None = None, inbox: Path | None = None,
                 test_mode: bool = False) -> None:
        super().__init__(name, computer)
        self._unit = unit
        self.inbox = inbox or alerts_inbox()
        self.handled = 0
        # The benchmark runs its own scheduler beside a running PyROS.
        self.scheduler = os.environ.get("PYROS_ALERTS_SCHEDULER", SCHEDULER)

    @property
    def unit(self) -> UnitConfig:
        return self._unit or active_config()

    def init(self) -> None:
        (self.inbox.parent / "done").mkdir(parents=True, exist_ok=True)
        self.inbox.mkdir(parents=True, exist_ok=True)

    def describe(self) -> dict[str, Any]:
        return {"handled": self.handled, "inbox": str(self.inbox)}

    def routine(self) -> None:
        if not self.inbox.is_dir():
            return
        for path in sorted(self.inbox.iterdir()):
            if path.name.startswith(".") or not path.is_file():
                continue
            try:
                with path.open("rb") as handle:
                    data = handle.read(MAX_PACKET + 1)
                path.replace(self.inbox.parent / "done" / f"{time.time_ns()}-{path.name}")
            except OSError as exc:
                self.log.warning("cannot take %s from the inbox: %s", path.name, exc)
                continue
            self.handle(data, source=f"drop folder {path.name}")

    def handle(self, data: bytes, *, source: str) -> store.IntakeResult:
        result = store.ingest(data, source=source, unit=self.unit)
        self.handled += 1
        # A duplicate is said louder: whoever dropped or sent it expected it acted on.
        level = logging.WARNING if result.is_duplicate else logging.INFO
        self.log.log(level, "%s from %s: %s (%s)", (result.record or {}).get("ivorn", "packet"),
                     source, result.decision, result.reason)
        if result.request is not None:
            self.plan(result)
        return result

    def plan(self, result: store.IntakeResult) -> None:
        """Ask the scheduler to put the request's sequences into tonight's plan, and log
        the answer."""
        sequences = list(result.request.sequences.values_list("pk", flat=True))
        try:
            answer = send_command(self.scheduler, "insert_now", sender=self.name,
                                  validity=wall_validity(PLAN_TIMEOUT), timeout=PLAN_TIMEOUT,
                                  sequences=sequences,
                                  reason=f"alert {result.packet.event.key}").wait(PLAN_TIMEOUT)
        except CommandError as exc:
            store.log(Step.PLAN, f"could not ask the scheduler: {exc}", packet=result.packet)
            return
        if answer.state != "EXECUTED":
            store.log(Step.PLAN, f"the scheduler did not plan it: {answer.state} "
                                 f"{answer.error or ''}".strip(), packet=result.packet)
            return
        plan = answer.result or {}
        entries = plan.get("plan", [])
        first = next((i for i, e in enumerate(entries) if e["sequence"] in sequences), None)
        if first is None:
            reasons = "; ".join(plan.get("unplanned", {}).values()) or "no reason given"
            store.log(Step.PLAN, f"not in tonight's plan #{plan.get('schedule')}: {reasons}",
                      packet=result.packet, schedule=plan.get("schedule"))
            return
        store.log(Step.PLAN, f"plan #{plan['schedule']}: position {first + 1}, starts "
                             f"{entries[first]['start']}", packet=result.packet,
                  schedule=plan["schedule"], position=first + 1, at=clock.now())

    @command
    def ingest(self, ctx: CommandContext, packet: PacketText,
               source: ShortText = "") -> dict[str, Any]:
        """One VOEvent packet (its XML text): the decision, as ``pyros alert ingest
        --json`` prints it."""
        data = packet.encode("utf-8")[:MAX_PACKET + 1]
        return self.handle(data, source=source or f"command from {ctx.sender}").as_json()
