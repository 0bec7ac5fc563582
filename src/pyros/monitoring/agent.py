"""The "monitoring" agent: the observatory's watch on the weather and the site.

Every ``monitoring.period`` seconds (5 s by default) it asks the PLC for its status
through ``Monitor.step`` (which validates, corrects, merges the sensors and decides),
stores the period's WeatherWatch and SiteWatch rows and the SafetyState, and prunes the
history every ten minutes.

When the decision's ``safe`` flag or global status changes, it says so in the log at
WARNING and wakes the majordome at once with a ``safety_changed`` command (``safe``,
``status``, ``reasons``), valid 60 s: the majordome reads SafetyState anyway, the
command only spares it the wait. Until the majordome exists those commands expire
unread, which is harmless.

Nothing the PLC sends can stop the agent: Monitor turns bad frames into missing values
(hence unsafe), and a failure to store is logged and retried at the next period. Sensor
values the synthesis refuses are logged at WARNING once per distinct reason per hour,
so that a broken sensor is reported without flooding the log every five seconds.

Its one specific command, ``status``, returns the latest decision.
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Any

from django.db import DatabaseError, connection
from pydantic import StrictBool

from pyros import clock
from pyros.agents import bus
from pyros.agents.agent import Agent, command
from pyros.agents.context import CommandContext
from pyros.agents.models import Command
from pyros.agents.registry import majordome_name
from pyros.config.loader import active_config
from pyros.config.schema import UnitConfig
from pyros.monitoring import store
from pyros.monitoring.models import SafetyState
from pyros.monitoring.monitor import Monitor, Observation
from pyros.monitoring.safety import GlobalStatus
from pyros.plc.client import PlcClient

CHANGE_VALIDITY = 60.0  # seconds the majordome has to read a safety_changed command
PRUNE_PERIOD = 600.0  # seconds between two history prunings
WARN_EVERY = 3600.0  # seconds before the same rejected value is logged again
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?", re.IGNORECASE)


def reason_key(reason: str) -> str:
    """A reason with its numbers blanked: "measured 65 s ago" and "measured 70 s ago"
    are the same problem and must not be logged twice."""
    return _NUMBER.sub("#", reason)


class MonitoringAgent(Agent):

    def __init__(self, name: str, computer: str = "localhost", *,
                 unit: UnitConfig | None = None, client: PlcClient | None = None,
                 test_mode: bool = False) -> None:
        """``unit`` defaults to the active configuration and ``client`` to one for the
        PLC it names (tests give their own). ``test_mode``: no self-test of its own;
        ``pyros start --test`` may start it next to the test agents."""
        super().__init__(name, computer)
        self._unit = unit
        self._client = client
        self.routine_period = self.unit.monitoring.period
        # A silent PLC holds the main loop for the client's timeout (up to 5 s, see
        # Monitor): the agent is waiting then, not dead.
        self.beat_validity = Agent.beat_validity + min(5.0, self.routine_period)
        self.monitor: Monitor | None = None
        self.last: Observation | None = None
        self._warned: dict[str, float] = {}  # reason_key -> monotonic time of the warning
        self._pruned_at: datetime | None = None
        self._next_prune = 0.0
        self._bypass: bool | None = None  # a PLC BYPASS the majordome asked to send

    @property
    def unit(self) -> UnitConfig:
        return self._unit or active_config()

    # --- life ----------------------------------------------------------------------------

    def init(self) -> None:
        """A Monitor (and a new PLC connection) from the configuration. On restart_init
        the safety evaluator is kept: forgetting it would forget that the rain stopped
        only a minute ago, and skip ``safe_delay``."""
        previous = self.monitor
        if previous is not None and self._client is None:
            previous.client.close()
        self.monitor = Monitor(self.unit, client=self._client)
        if previous is not None:
            self.monitor.evaluator = previous.evaluator
        else:
            self._resume_from_stored()
        self.routine_period = self.unit.monitoring.period
        self.log.info("reading the %s every %g s", self.monitor.client.name,
                      self.routine_period)

    def _resume_from_stored(self) -> None:
        """A restarted agent must not forget it was waiting out safe_delay, nor close a
        safe site for safe_delay. A stored decision vouches for the present only while
        it is not stale (``stale_after``, as a reading): older, or none (a fresh
        database), the evaluator starts with no history, unknown until safe_delay of
        good readings."""
        stored = SafetyState.objects.filter(pk=SafetyState.SINGLETON_ID).first()
        if stored is None or stored.decided_at is None:
            return
        age = (clock.now() - stored.decided_at).total_seconds()
        if not 0.0 <= age <= self.unit.safety.stale_after:
            self.log.info("the stored safety decision is %.0f s old: safety unknown until "
                          "%g s of good readings", age, self.unit.safety.safe_delay)
            return
        if stored.safe:
            self.monitor.evaluator.resume_safe()
        else:
            self.monitor.evaluator.resume(GlobalStatus(stored.status),
                                          tuple(stored.reasons or ()))

    def config_reloaded(self, changed: set[str]) -> None:
        """A new Monitor (thresholds, sensors, the PLC's address) keeping the safety
        evaluator, as restart_init does; and the period."""
        if changed & {"safety", "monitoring", "devices"}:
            self.init()
            self.beat_validity = Agent.beat_validity + min(5.0, self.routine_period)

    def run(self) -> int:
        try:
            return super().run()
        finally:
            if self.monitor is not None:
                self.monitor.client.close()

    def routine(self) -> None:
        self.watch()
        if time.monotonic() >= self._next_prune:
            self.prune()

    def describe(self) -> dict[str, Any]:
        last = self.last
        if last is None:
            return {"safety": None}
        return {"safety": last.decision.status.value, "safe": last.decision.safe}

    # --- routine work --------------------------------------------------------------------

    def watch(self) -> Observation:
        """One period: read, decide, store, and announce a change."""
        if self.monitor is None:
            raise RuntimeError("the monitoring agent watches only after init()")
        bypass = self._bypass
        observation = self.monitor.step(bypass)
        if bypass is not None and not observation.plc_error:
            self._bypass = None  # sent; the majordome asks again if the PLC did not take it
            self.log.info("PLC BYPASS %s sent to the PLC", "set" if bypass else "cleared")
        self.last = observation
        if observation.plc_error:
            self._warn_once(f"PLC: {observation.plc_error}")
        for reason in observation.synthesis.rejected:
            self._warn_once(f"value refused: {reason}")
        decision = observation.decision
        try:
            recorded = store.record(observation)
        except DatabaseError as exc:
            self.log.error("the decision %s (%s) could not be stored: %s", decision.status,
                           "safe" if decision.safe else "unsafe", exc)
            connection.close()
            return observation
        if recorded.status_changed or recorded.safe_changed:
            self._announce(observation, recorded)
        return observation

    def _announce(self, observation: Observation, recorded: store.Recorded) -> None:
        decision = observation.decision
        before = recorded.previous_status or "no decision"
        why = "; ".join(decision.reasons) or "every criterion is good"
        self.log.warning("safety: %s -> %s, %s: %s", before, decision.status,
                         "SAFE" if decision.safe else "UNSAFE", why)
        try:
            bus.send_command(majordome_name(), "safety_changed", sender=self.name,
                             validity=bus.wall_validity(CHANGE_VALIDITY), safe=decision.safe,
                             status=decision.status.value, reasons=list(decision.reasons))
        except DatabaseError as exc:
            self.log.error("could not tell the majordome: %s", exc)
            connection.close()

    def _warn_once(self, message: str) -> None:
        now = time.monotonic()
        key = reason_key(message)
        last = self._warned.get(key)
        if last is not None and now - last < WARN_EVERY:
            return
        if len(self._warned) > 1000:  # garbage frames make endless distinct reasons
            self._warned = {k: t for k, t in self._warned.items() if now - t < WARN_EVERY}
        self._warned[key] = now
        self.log.warning("%s (not repeated for an hour)", message)

    def prune(self) -> store.Pruned:
        now = clock.now()
        pruned = store.prune(now, since=self._pruned_at)
        self._pruned_at = now
        self._next_prune = time.monotonic() + PRUNE_PERIOD
        if pruned.deleted or pruned.thinned:
            self.log.info("watch history: %d rows past a year deleted, %d thinned",
                          pruned.deleted, pruned.thinned)
        return pruned

    # --- commands ------------------------------------------------------------------------

    def generic_set_bypass(self, cmd: Command, on: StrictBool) -> str:
        """From the majordome: send the operator's PLC BYPASS to the PLC, now (this agent
        alone talks to the PLC); the status read in the same exchange, stored as usual,
        says whether the PLC took it."""
        self._bypass = on
        observation = self.watch()
        return observation.plc_error or ("set" if on else "cleared")

    @command
    def status(self, ctx: CommandContext) -> dict[str, Any]:
        """The latest decision, as the agent made it."""
        last = self.last
        if last is None:
            return {"time": None, "safe": False, "status": "NO_DATA",
                    "reasons": ["the monitoring agent has not read the PLC yet"],
                    "sky": "unknown", "plc_error": ""}
        decision = last.decision
        return {"time": store.iso(decision.time), "safe": decision.safe,
                "status": decision.status.value, "reasons": list(decision.reasons),
                "sky": decision.conditions.sky, "plc_error": last.plc_error}
