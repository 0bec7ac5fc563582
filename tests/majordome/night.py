"""A simulated night for the majordome's tests: the simulated devices on free ports, one
simulated clock for everything (devices, majordome, scheduler), a stand-in for the
monitoring that writes the safety decision the scenario wants, and a scheduler to
make the plans.

The majordome runs in the test's thread, one ``tick()`` at a time (its executor and
motions in their own threads, as in operation), so a scenario reads as a story:
set the weather, tick until a state, look at what happened.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from pyros import clock
from pyros.config.schema import UnitConfig
from pyros.devices.factory import UnitDevices, build_devices
from pyros.instruments.models import Mode, OperatingMode
from pyros.majordome.agent import MajordomeAgent
from pyros.majordome.models import NightLogEntry
from pyros.majordome.states import State
from pyros.monitoring.models import SafetyState
from pyros.observations import json_format
from pyros.observations import store as requests_store
from pyros.observations.builders import meridian_ra, two_channel_sequence
from pyros.scheduling.agent import SchedulerAgent
from pyros.scheduling.models import Schedule, Trigger
from tests.conftest import request_dict
from tests.devices.conftest import RunningSimulator, unit_on_free_ports
from tests.waiting import GENEROUS

SPEED = 50.0


def night_unit(setpoints: dict[str, float] | None = None, **majordome) -> UnitConfig:
    """The example unit on free ports, with calibrations small enough for a test;
    ``setpoints``: the channels' ccd_setpoint, where not the example's."""
    unit = unit_on_free_ports()
    channels = [c.model_copy(update={"ccd_setpoint": (setpoints or {}).get(
        c.name, c.ccd_setpoint)}) for c in unit.channels]
    calibrations = unit.majordome.calibrations.model_copy(update={
        "bias_count": 2, "dark_exposures": [5.0], "dark_count": 1, "flat_count": 1,
        "flat_exposure": 2.0, "flat_filters": {"VIS": ["r"], "NIR": ["J"]},
        # J wants 5 ms at sun -3.6°: a shutter this fast keeps the scenarios' flats
        # from waiting for the sky (tests/majordome/test_flats.py tests the waiting).
        "flat_min_exposure": 0.001})
    # The simulator runs in the test's process: on a busy machine it may take seconds to
    # answer, which the majordome would rightly take for a silent device.
    settings = unit.majordome.model_copy(update={
        "calibrations": calibrations, "heartbeat": 0.0, "status_timeout": 30.0,
        **majordome})
    # A monitoring period of a minute keeps a written safety decision current for three
    # minutes of wall time at 50× (9000 s of the clock's).
    monitoring = unit.monitoring.model_copy(update={"period": 60.0})
    return unit.model_copy(update={"majordome": settings, "monitoring": monitoring,
                                   "channels": channels})


class Night:
    """Everything a scenario needs, started at ``start`` (UTC)."""

    def __init__(self, start: datetime, owner, *, speed: float = SPEED,
                 setpoints: dict[str, float] | None = None, **majordome) -> None:
        self.unit = night_unit(setpoints, **majordome)
        self.simulator = RunningSimulator(self.unit, [], speed)
        self.clock = self.simulator.clock
        self.clock.set(start)
        clock.set_clock(self.clock)  # the suite's fixture puts its own back afterwards
        self.devices: UnitDevices = build_devices(self.unit)
        self.owner = owner
        self.weather(safe=True)
        OperatingMode.change(Mode.SCHEDULER, by="test", at=start)
        self.majordome = MajordomeAgent("majordome", unit=self.unit, devices=self.devices)
        self.majordome.init()
        self.scheduler = SchedulerAgent("scheduler", unit=self.unit, time_limit=0.5)

    def stop(self) -> None:
        self.majordome._leave()
        self.simulator.stop()

    # --- the scenario's levers -----------------------------------------------------------

    def weather(self, *, safe: bool, status: str = "", plc_error: str = "",
                reasons: tuple[str, ...] = ()) -> None:
        """What the monitoring would have decided, now."""
        now = clock.now()
        status = status or ("OK" if safe else "RAINING")
        SafetyState.objects.update_or_create(pk=SafetyState.SINGLETON_ID, defaults={
            "safe": safe, "status": status, "reasons": list(reasons), "plc_error": plc_error,
            "decided_at": now, "since": now, "changed_at": now})

    def jump(self, to: datetime, *, speed: float | None = None) -> None:
        """Move the time of everything to ``to``, the monitoring still deciding; and on
        at ``speed`` if given."""
        self.tick_until(lambda: self.majordome.running is None, what="the work's end")
        self.majordome.tick()  # the state that follows the work's end
        self.clock.set(to)
        if speed is not None:
            self.clock.set_speed(speed)
        self.weather(safe=True)

    def submit(self, *sequences: dict, name: str = "tonight"):
        spec = json_format.spec_from_data(request_dict(name=name, submitted=True,
                                                       sequences=list(sequences)))
        return requests_store.create_request(spec, self.owner)

    def plan(self) -> Schedule:
        return self.scheduler.replan(Trigger.OPERATOR, "the test's plan")

    # --- watching ------------------------------------------------------------------------

    def tick_until(self, done: Callable[[], bool], *, wall: float = GENEROUS,
                   what: str = "the condition", scheduler: bool = False) -> float:
        """Decide again and again until ``done()``; returns the wall seconds it took.
        ``wall`` only bounds a failure. ``scheduler``: the scheduler follows its markers
        between two decisions, as its agent does every second in operation (it re-plans
        when a sequence ends, so a slot that passed while a loaded machine ran late at
        50× is given again); else the plans are the scenario's own (``plan()``)."""
        began = time.monotonic()
        while not done():
            if scheduler:
                self.scheduler.routine()
            if time.monotonic() - began > wall:
                raise AssertionError(f"{what} not reached within {wall:g} s of wall time "
                                     f"(state {self.majordome.state}, "
                                     f"work {self.majordome.running}); the night log:\n"
                                     + self.night_log())
            self.majordome.tick()
            time.sleep(0.02)
        return time.monotonic() - began

    def until_state(self, state: State, **kwargs) -> float:
        return self.tick_until(lambda: self.majordome.state == state,
                               what=f"state {state}", **kwargs)

    def night_log(self) -> str:
        return "\n".join(str(entry) for entry in NightLogEntry.objects.order_by("time", "id"))

    def sim_seconds(self, since: datetime) -> float:
        return (clock.now() - since).total_seconds()


def sequence(name: str, ra: float, dec: float, *, priority: int = 5, exposures: int = 2,
             vis_seconds: float = 5.0, nir_seconds: float = 3.0, obs_type: str = "BESTELEV",
             start: str = "2026-11-22T00:00:00Z", end: str = "2026-11-23T00:00:00Z",
             minutes: float = 5) -> dict:
    """A two-channel sequence: r band on VIS and J band on NIR."""
    return two_channel_sequence(name, ra, dec, start=start, end=end, minutes=minutes,
                                priority=priority, obs_type=obs_type, exposure=vis_seconds,
                                nir_exposure=nir_seconds, frames=exposures)


def in_the_sky(when: datetime, unit: UnitConfig, hours_east: float = 0.0) -> tuple[float, float]:
    """RA/Dec of a point high in the sky at ``when`` (the meridian, ``hours_east`` of it)."""
    return meridian_ra(when, unit.site.longitude, hours_east), unit.site.latitude - 5.0


def later(moment: datetime, seconds: float) -> datetime:
    return moment + timedelta(seconds=seconds)
