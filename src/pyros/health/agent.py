"""The "health" agent: when the majordome logs the end of a night, the night is
summarised, its morning report built, kept in the archive and mailed to the
subscribers — within seconds, in a thread of this agent, never the majordome's.

Its builder looks every ``POLL`` seconds for a night whose end was logged and that has
no report yet. A night whose end was never logged (the majordome restarted in the
morning, or was not running) gets its report once the next night has begun (local
noon), if its log has anything. ``report`` builds one on demand.
"""

from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Any

from django.db import DatabaseError, close_old_connections, connection
from pydantic import StrictBool

from pyros import clock
from pyros.agents.agent import Agent, command
from pyros.agents.context import CommandContext
from pyros.agents.schema import NightDate
from pyros.config.loader import active_config
from pyros.config.schema import UnitConfig
from pyros.health.end_of_night import ended_nights
from pyros.health.models import NightReport
from pyros.health.morning import Built, build_report
from pyros.majordome.models import NightLogEntry
from pyros.scheduling.problem import night_of

#: Seconds between two looks for a night to report.
POLL = 1.0
#: Nights back the builder considers (older ones are built on demand).
LOOK_BACK = 3


class HealthAgent(Agent):

    def __init__(self, name: str, computer: str = "localhost", *,
                 unit: UnitConfig | None = None, test_mode: bool = False) -> None:
        super().__init__(name, computer)
        self._given_unit = unit
        self._unit = unit
        self._lock = threading.Lock()  # one build at a time: the thread or a command
        self._thread = threading.Thread(target=self._build_forever, name=f"{name}-builder",
                                        daemon=True)
        self.last: dict[str, Any] = {}
        self._failed: set[date] = set()

    @property
    def unit(self) -> UnitConfig:
        if self._unit is None:
            self._unit = active_config()
        return self._unit

    def config_reloaded(self, changed: set[str]) -> None:
        self._unit = self._given_unit

    def init(self) -> None:
        if not self._thread.is_alive():
            self._thread.start()

    def describe(self) -> dict[str, Any]:
        return {"last": self.last}

    @command
    def report(self, ctx: CommandContext, night: NightDate,
               mail: StrictBool = False) -> dict[str, Any]:
        """Summarise ``night`` and build its report (mail it with ``mail``)."""
        return self._build(night, mail=mail)

    # --- the builder thread --------------------------------------------------------------

    def nights_due(self) -> list[date]:
        """The nights to report now (see the module)."""
        if not self.unit.health.report:
            return []
        today = night_of(clock.now(), self.unit.site.longitude)
        since = today - timedelta(days=LOOK_BACK)
        candidates = set(ended_nights(since))
        yesterday = today - timedelta(days=1)
        if NightLogEntry.objects.filter(night=yesterday).exists():
            candidates.add(yesterday)
        done = set(NightReport.objects.filter(night__gte=since)
                   .values_list("night", flat=True))
        return sorted(candidates - done)

    def work_once(self) -> bool:
        """Build the report of one due night; False when none is due."""
        due = [night for night in self.nights_due() if night not in self._failed]
        if not due:
            return False
        try:
            self._build(due[0], mail=self.unit.health.mail)
        except DatabaseError:
            raise
        except Exception:  # a bug met on one night costs that night only (until restart)
            self.log.exception("building the report of %s failed", due[0])
            self._failed.add(due[0])
        return True

    def _build(self, night: date, *, mail: bool) -> dict[str, Any]:
        with self._lock:
            built: Built = build_report(night, self.unit, mail=mail)
        report = built.report
        after = (report.built_at - report.night_end).total_seconds() \
            if report.night_end else None
        self.last = {"night": night.isoformat(), "path": report.path,
                     "seconds": round(report.seconds, 3), "mailed": built.mailed,
                     "after_night_end": after, "warnings": report.warnings}
        self.log.info("report of %s: %s in %.1f s (%s after the night's end), mailed to %d",
                      night, report.path, report.seconds,
                      "?" if after is None else f"{after:.1f} s", built.mailed)
        return self.last

    def _build_forever(self) -> None:
        try:
            while not self._stopping.is_set():
                try:
                    if not self.work_once():
                        self._stopping.wait(POLL)
                except DatabaseError as exc:
                    self.log.error("database error in the report builder: %s", exc)
                    connection.close()
                    self._stopping.wait(POLL)
        finally:
            close_old_connections()
            connection.close()
