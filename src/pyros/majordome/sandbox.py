"""A majordome on simulated devices inside this process, for the benchmarks.

It runs under a name of its own, on simulated devices on free ports, on a simulated
clock set an hour into tonight's dark time (running at the wall clock's pace, so
latencies are real) and shared with the child processes through the environment; the
devices' clock skips the half minute the shutter takes to open. To
open, it needs a safe site, the SCHEDULER mode and no operator's lock: it writes those
rows, and puts them back as they were when it stops, with its own traces deleted
(state, night log, images). Do not use it while a PyROS is observing on the same
database: for the time of the benchmark its safety state is the sandbox's.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.db import connection

from pyros import clock
from pyros.agents.models import AgentSurvey, Command
from pyros.agents.registry import MAJORDOME_VARIABLE
from pyros.archive.models import ArchiveFrame
from pyros.devices.factory import build_devices
from pyros.images.models import Image
from pyros.instruments.models import Mode, OperatingMode
from pyros.majordome.agent import MajordomeAgent
from pyros.majordome.models import MajordomeState, NightLogEntry, ObservatoryControl
from pyros.majordome.states import State
from pyros.monitoring.models import SafetyState
from pyros.scheduling.sky import night_sky
from pyros.scheduling.store import tonight
from pyros.scheduling.unit import site_of
from pyros.simulators.models import SHUTTER_TIME
from pyros.simulators.thread import RunningSimulator, unit_on_free_ports

SINGLETONS = (SafetyState, OperatingMode, ObservatoryControl, MajordomeState)


@dataclass
class Sandbox:
    name: str
    environment: dict[str, str]
    agent: MajordomeAgent
    simulator: RunningSimulator
    started: datetime
    previous_clock: Any
    saved: dict[type, dict | None] = field(default_factory=dict)
    thread: threading.Thread | None = None

    @classmethod
    def open(cls, name: str, *, ready_within: float = 120.0) -> Sandbox:
        """Start it and wait until the dome is open and the majordome ready."""
        unit = unit_on_free_ports()
        unit = unit.model_copy(update={
            "monitoring": unit.monitoring.model_copy(update={"period": 3600.0})})
        now = clock.now()
        sky = night_sky(site_of(unit), tonight(unit, now))
        start = sky.at(sky.dark_seconds[0] + 3600.0)
        environment = {**clock.clock_environment(start, 1.0), MAJORDOME_VARIABLE: name}
        previous = clock.get_clock()
        clock.install_from_environment(environment)
        simulator = RunningSimulator(unit, [], 1.0, clock.now())
        agent = MajordomeAgent(name, "bench", unit=unit, devices=build_devices(unit))
        agent.log.setLevel(logging.ERROR)  # the interrupted alerts are the benchmark's doing
        sandbox = cls(name, environment, agent, simulator, clock.now(), previous)
        sandbox._prepare()
        sandbox.thread = threading.Thread(target=sandbox._run, name=name, daemon=True)
        sandbox.thread.start()
        # The devices' own clock skips the shutter's half minute: nothing measured
        # depends on it, and the mount's sky moves by an eighth of a degree.
        sandbox.wait_for(State.OPENING, ready_within)
        simulator.clock.advance(SHUTTER_TIME)
        sandbox.wait_for(State.SCHEDULER_READY, ready_within)
        return sandbox

    def _prepare(self) -> None:
        for model in SINGLETONS:
            row = model.objects.filter(pk=1).first()
            self.saved[model] = None if row is None else {
                f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields}
        now = clock.now()
        SafetyState.objects.update_or_create(pk=1, defaults={
            "safe": True, "status": "OK", "reasons": [], "plc_error": "", "decided_at": now,
            "since": now, "changed_at": now})
        OperatingMode.change(Mode.SCHEDULER, by=f"bench:{self.name}", at=now,
                             reason="benchmark")
        ObservatoryControl.objects.update_or_create(pk=1, defaults={
            "locked": False, "bypass": False, "stopped": False})

    def _run(self) -> None:
        try:
            self.agent.run()
        finally:
            connection.close()

    def wait_for(self, state: State, within: float) -> None:
        deadline = time.monotonic() + within
        while self.agent.state != state:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the sandbox's majordome did not reach {state} within "
                                   f"{within:g} s (it is {self.agent.state})")
            time.sleep(0.05)

    def wait_not_running(self, keys: set[str], within: float = 30.0) -> None:
        """Until the majordome executes none of the works ``keys``."""
        deadline = time.monotonic() + within
        while (running := self.agent.running) is not None and running.work.key in keys:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the sandbox's majordome still executes {running.work.key}")
            time.sleep(0.02)

    def wait_running(self, key: str, within: float = 60.0) -> bool:
        """Until the majordome executes the work ``key`` (and its exposures began); False
        if it did not within ``within`` seconds."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            running, executor = self.agent.running, self.agent.sequence_executor
            if running is not None and running.work.key == key and executor is not None \
                    and executor.exposing():
                return True
            time.sleep(0.02)
        return False

    def close(self) -> None:
        """Stop the majordome and the devices; put back what it changed."""
        self.agent.stop()
        if self.thread is not None:
            self.thread.join(30)
        self.simulator.stop()
        images = Image.objects.filter(date_obs__gte=self.started - timedelta(minutes=1),
                                      work_key__startswith="sequence-")
        for path in images.values_list("path", flat=True):
            Path(path).unlink(missing_ok=True)
        ArchiveFrame.objects.filter(image__in=images).delete()  # their catalogue rows too
        images.delete()
        NightLogEntry.objects.filter(time__gte=self.started - timedelta(minutes=1)).delete()
        for model, row in self.saved.items():
            model.objects.filter(pk=1).delete()
            if row is not None:
                model.objects.create(**row)
        Command.objects.filter(recipient=self.name).delete()
        Command.objects.filter(sender=self.name).delete()
        AgentSurvey.objects.filter(name=self.name).delete()
        clock.set_clock(self.previous_clock)
