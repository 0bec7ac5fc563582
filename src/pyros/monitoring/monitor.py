"""One monitoring step: read the PLC, synthesise, decide. The agent calls ``step`` each
period; tests call it with documents of their own."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from pyros import clock
from pyros.config.schema import UnitConfig
from pyros.monitoring.safety import SafetyDecision, SafetyEvaluator
from pyros.monitoring.synthesis import Synthesis, synthesize
from pyros.plc.client import PlcClient
from pyros.plc.document import PlcError, PlcStatus, parse_frame_lenient

log = logging.getLogger("pyros.monitoring")


@dataclass(frozen=True)
class Observation:
    synthesis: Synthesis
    decision: SafetyDecision
    plc_error: str  # why the PLC could not be read this time ("" when it was)


class Monitor:
    def __init__(self, unit: UnitConfig, client: PlcClient | None = None) -> None:
        self.unit = unit
        self.evaluator = SafetyEvaluator(unit.safety)
        self._rejected: list[str] = []
        if client is None:
            plcs = unit.devices_of_kind("plc")
            address = next(iter(plcs.values())).address if plcs else "127.0.0.1:5003"
            host, port = address.rsplit(":", 1)
            client = PlcClient(host, int(port), timeout=min(5.0, unit.monitoring.period),
                               parser=self._parse)
        self.client = client

    def _parse(self, frame: bytes) -> PlcStatus:
        return parse_frame_lenient(frame, self._rejected)

    def step(self) -> Observation:
        """Read the PLC once; on failure use the last good document (its values turn
        stale, hence unsafe, after ``safety.stale_after``)."""
        self._rejected = []
        error = ""
        try:
            status: PlcStatus | None = self.client.read_status()
        except PlcError as exc:
            error = str(exc)
            kept = self.client.last_good
            status = kept.document if kept else None
        for reason in self._rejected:
            log.debug("PLC value rejected: %s", reason)  # the agent reports them, rate-limited
        return self.observe(status, clock.now(), tuple(self._rejected), error)

    def observe(self, status: PlcStatus | None, now: datetime, rejected: tuple[str, ...] = (),
                error: str = "") -> Observation:
        synthesis = synthesize(status, self.unit.monitoring.sensors, now,
                               self.unit.safety.stale_after, rejected,
                               missing_reason=error or "no PLC status yet")
        return Observation(synthesis, self.evaluator.evaluate(synthesis), error)
