"""One monitoring step: read the PLC, synthesise, decide. The agent calls ``step`` each
period; tests call it with documents of their own."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

from pyros import clock
from pyros.config.schema import UnitConfig
from pyros.devices.errors import DeviceError
from pyros.devices.interfaces import WeatherStation
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
    def __init__(self, unit: UnitConfig, client: PlcClient | None = None,
                 stations: dict[str, WeatherStation] | None = None) -> None:
        """``stations``: weather stations read besides the PLC (by default the unit's
        ``weather`` devices); each appears to the sensors as a device of its name."""
        self.unit = unit
        if stations is None:
            from pyros.devices.factory import build_weather_stations

            stations = build_weather_stations(unit)
        self.stations = stations
        self.evaluator = SafetyEvaluator(unit.safety)
        self._rejected: list[str] = []
        if client is None:
            host, port = unit.plc_address()
            client = PlcClient(host, port, timeout=min(5.0, unit.monitoring.period),
                               parser=self._parse)
        self.client = client

    def _parse(self, frame: bytes) -> PlcStatus:
        return parse_frame_lenient(frame, self._rejected)

    def step(self, bypass: bool | None = None) -> Observation:
        """Read the PLC once; on failure use the last good document (its values turn
        stale, hence unsafe, after ``safety.stale_after``). ``bypass``: set the PLC
        BYPASS in the same exchange (the document read says whether the PLC took it)."""
        self._rejected = []
        error = ""
        try:
            status: PlcStatus | None = self.client.read_status(bypass)
        except PlcError as exc:
            error = str(exc)
            kept = self.client.last_good
            status = kept.document if kept else None
        now = clock.now()
        status = self._with_stations(status, now)
        for reason in self._rejected:
            log.debug("PLC value rejected: %s", reason)  # the agent reports them, rate-limited
        return self.observe(status, now, tuple(self._rejected), error)

    def _with_stations(self, status: PlcStatus | None, now: datetime) -> PlcStatus | None:
        """The PLC document with one more device per weather station that answered."""
        devices = []
        for name, station in self.stations.items():
            try:
                reading = station.status(timeout=min(3.0, self.unit.monitoring.period))
            except DeviceError as exc:
                self._rejected.append(f"weather station {name}: {exc.reason}")
                continue
            values = [{"name": r.name, "value": r.value, "unit": r.unit,
                       "valid": "yes" if r.valid else "no"}
                      for r in reading.readings if r.value is not None]
            devices.append({"name": name, "type": "meteo", "valid": "yes" if
                            reading.connected else "no",
                            "timestamp": reading.time.isoformat(), "values": values})
        if not devices:
            return status
        base = status.to_wire()[0] if status is not None else {
            "name": "STATUS", "from": "PyROS", "version_firmware": "", "site": "",
            "date": now.isoformat(), "device": []}
        base["device"] = [*base["device"], *devices]
        return parse_frame_lenient(json.dumps([base]), self._rejected)

    def observe(self, status: PlcStatus | None, now: datetime, rejected: tuple[str, ...] = (),
                error: str = "") -> Observation:
        synthesis = synthesize(status, self.unit.monitoring.sensors, now,
                               self.unit.safety.stale_after, rejected,
                               missing_reason=error or "no PLC status yet")
        return Observation(synthesis, self.evaluator.evaluate(synthesis), error)
