"""The "majordome" agent: the conductor that runs the night.

Every ``majordome.period`` (0.5 s) — and at once when the monitoring says safety
changed, the scheduler says the plan changed, or an operator pressed a button (those
commands run in the main loop, like the generic ones) — it makes one decision:

1. gather the inputs once (safety, PLC link and mode, operating mode, the operator's
   switches, the sun, the night ACK, the dome and the mount as they are);
2. ask the state table (``states.decide``) where to be, log the transition with its
   cause, and act on entering the state: CLOSING interrupts what executes and closes
   and parks, OPENING unparks and opens, every state interrupts the work it does not
   allow;
3. do the state's duties: in SCHEDULER_STANDBY the closed-dome calibrations (bias and
   darks before dusk and after dawn), in SCHEDULER_READY / OBSERVING the twilight flats
   and the plan's due sequence, and preemption: a due sequence of a higher priority
   than the one executing (an alert) interrupts it at once;
4. renew the watchdog of the dome and the mount (the second safety layer: they close
   and park by themselves if these heartbeats stop) and the state row the pages read.

Motions (closing, opening) and the executor run in threads of their own, so the loop
keeps deciding — and can interrupt them — while they run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from django.db import DatabaseError, close_old_connections, connection
from pydantic import Field, StrictBool

from pyros import clock
from pyros.agents import bus
from pyros.agents.agent import Agent, command
from pyros.agents.context import CommandContext
from pyros.agents.models import Command
from pyros.agents.notify import wake
from pyros.agents.schema import Reason, RecordId, ShortText
from pyros.archive import layout as archive_layout
from pyros.config.loader import active_config
from pyros.config.schema import UnitConfig
from pyros.devices.errors import DeviceError
from pyros.devices.factory import UnitDevices, build_devices
from pyros.devices.interfaces import ShutterState
from pyros.majordome import calibrations, store
from pyros.majordome.conditions import ConditionsLog
from pyros.majordome.cooling import (
    CameraTemperature,
    ColdWait,
    cooled_channels,
    steer_coolers,
    wanted_cold,
)
from pyros.majordome.disk import DiskCheck
from pyros.majordome.executor import Executor
from pyros.majordome.models import NIGHT_ENDED, LogKind, night_end_key
from pyros.majordome.offline import NO_DATABASE, HeldLog, offline_inputs, outage_summary
from pyros.majordome.persist import persist
from pyros.majordome.states import (
    HANDS_OFF_STATES,
    NO_DISK_ROOM,
    Decision,
    Inputs,
    Phase,
    State,
    decide,
    why_not_observing,
)
from pyros.majordome.sun import Sun, sun_now
from pyros.majordome.watchdog import WatchdogTrips, logged_trips, trip_detail, trip_message
from pyros.majordome.work import Outcome, SequenceWork, WorkKind
from pyros.monitoring.models import WeatherWatch
from pyros.observations.lifecycle import SequenceStatus
from pyros.observations.models import Sequence
from pyros.scheduling.problem import night_of
from pyros.scheduling.unit import site_of

RETRY_CLOSE = 30.0  # seconds between two close orders while CLOSING
FAULT_HOLD = 600.0  # seconds a device fault keeps the observatory closed
BYPASS_RESEND = 2.0  # wall seconds between two asks to send the PLC BYPASS to the PLC
MONITORING = "monitoring"  # the agent that talks to the PLC
SafetyReasons = Annotated[tuple[Reason, ...], Field(max_length=100)]
DARKS_BEFORE_DUSK = 6.0  # degrees of sun above open_sun_altitude: dusk's darks begin
COOLERS_EVERY = 1.0  # wall seconds between two looks at the cameras' coolers
#: States in which a night is not over yet.
MOVING_OR_OPEN = frozenset({State.OPENING, State.CLOSING, State.SCHEDULER_READY,
                            State.OBSERVING, State.REMOTE})


@dataclass
class Running:
    """The work the executor is on."""

    work: SequenceWork
    future: Future
    interrupted: str = ""


class MajordomeAgent(Agent):
    expected_errors = (store.ControlRefused, ValueError)
    #: Its devices and executor are built at init from these, its period and heartbeat
    #: validity in __init__: rebuilding them in the middle of a night is a restart.
    restart_sections = frozenset({"database", "devices", "mount", "channels", "site",
                                  "majordome"})

    def __init__(self, name: str, computer: str = "localhost", *,
                 unit: UnitConfig | None = None, devices: UnitDevices | None = None,
                 test_mode: bool = False) -> None:
        """``unit`` defaults to the active configuration and ``devices`` to those it
        describes (tests give their own)."""
        super().__init__(name, computer)
        self._unit = unit
        self._given_devices = devices
        self.routine_period = self.unit.majordome.period
        # A decision may wait for a silent device's status (status_timeout each).
        self.beat_validity = Agent.beat_validity + 2 * self.unit.majordome.status_timeout
        self.state = State.STARTING
        self.devices: UnitDevices | None = None
        self.sequence_executor: Executor | None = None
        self._runner = ThreadPoolExecutor(1, thread_name_prefix=f"{name}-executor")
        self._mover = ThreadPoolExecutor(1, thread_name_prefix=f"{name}-motion")
        self.running: Running | None = None
        self._motion: Future[str] | None = None
        self._motion_started = clock.now()
        self._state_entered = clock.now()
        self._fault = ""
        self._fault_until: datetime | None = None
        self._next_heartbeat = 0.0
        self.conditions = ConditionsLog()  # SAFETY, OBSSTATE, weather: for the headers
        self._trips = WatchdogTrips()  # the devices' watchdog trips logged (init reads them)
        self._cold_wait = ColdWait(self.unit.majordome.cooling)
        self._cameras: list[CameraTemperature] = []  # the cooled cameras as last read
        self._next_coolers = 0.0
        self._warned_closing = False
        self._tried: set[str] = set()  # keys of the calibrations started (init reads them)
        self.last_inputs: Inputs | None = None
        self._bypass_since: datetime | None = None  # the PLC disagrees with the wish since
        self._bypass_ko = False
        self._next_bypass_ask = 0.0
        self._bypass_asked: bool | None = None  # the wish last sent, sent again if late
        self.disk = DiskCheck()  # does the rest of tonight's plan fit on the archive?
        self._offline_since: datetime | None = None  # the database unreachable since
        self._held = HeldLog()  # the night log written meanwhile
        self._give_back_pending = False  # work lost with the database, to give back
        self._dark_nights: set[date] = set()  # nights this agent saw the sun set on
        self._ended_nights: set[date] = set()  # nights whose end it logged

    @property
    def unit(self) -> UnitConfig:
        return self._unit or active_config()

    # --- life ----------------------------------------------------------------------------

    def init(self) -> None:
        unit = self.unit
        self.devices = self._given_devices or build_devices(unit)
        self.sequence_executor = Executor(unit, self.devices, image_dir=self._image_dir,
                                 context=self.conditions.at, log=self.log)
        now = clock.now()
        given_back = store.give_back_executing(now, "the majordome restarted while it "
                                                    "executed it")
        if given_back:
            store.log(LogKind.SEQUENCE, f"sequences {given_back} were executing when the "
                                        "majordome stopped: given back to the scheduler",
                      now=now, unit=unit)
        since = night_of(now, unit.site.longitude) - timedelta(days=1)
        self._tried = store.calibrations_tried(since=since)
        self._trips = WatchdogTrips(logged_trips(store.watchdog_trips_logged(since)))
        self.state = State.STARTING
        self.conditions.record(now, OBSSTATE=self.state.value)
        self.log.info("majordome ready: deciding every %g s", self.routine_period)

    def run(self) -> int:
        try:
            return super().run()
        finally:
            self._leave()

    def _leave(self) -> None:
        """Stopping: interrupt the work; unless the site is in other hands, order the
        dome closed and the mount parked (the watchdog would do it anyway)."""
        if self.running is not None and self.sequence_executor is not None:
            self.sequence_executor.interrupt("the majordome is stopping")
        if self.devices is not None and self.state not in HANDS_OFF_STATES:
            try:
                self._close_orders()
            except DeviceError as exc:
                self.log.error("could not order the closing on the way out: %s", exc)
        self._runner.shutdown(wait=True, cancel_futures=True)
        self._mover.shutdown(wait=False, cancel_futures=True)

    def routine(self) -> None:
        try:
            self.tick()
        except DatabaseError as exc:
            self._tick_offline(exc)
            raise  # the agent's loop reconnects, with back-off

    # --- without the database ------------------------------------------------------------

    def _tick_offline(self, exc: DatabaseError) -> None:
        """A decision without the database: safety cannot be established, so the table
        closes and parks (from any state) through the devices, which need no database.
        Each failed attempt to reach it (bounded by the link timeout, see
        ``config/database_link.py``) is one such decision."""
        now = clock.now()
        if self._offline_since is None:
            self._offline_since = now
            self._give_back_pending = True
            self.log.error("%s (%s): closing and parking", NO_DATABASE, exc)
        closed, opened = self._physical()
        inputs = offline_inputs(self.last_inputs, closed=closed, opened=opened,
                                busy=self._busy_outside(), fault=bool(self._fault))
        decision = decide(self.state, inputs)
        self.conditions.record(now, SAFETY="NO_DATA")  # unknown without the database
        self._transition(replace(decision, cause=f"{NO_DATABASE}; {decision.cause}"),
                         inputs, now)
        self._watch_motion(now)

    def _database_back(self, now: datetime) -> None:
        """The first decision with the database again: write the night log held
        meanwhile, say how long it was away, and give the sequence the outage interrupted
        back to the scheduler (once its executor thread has ended)."""
        if self._offline_since is not None:
            # Still "offline" until all is written: if the database goes again half way,
            # what is left stays held and the next decision with it tries again.
            self._held.flush(lambda kind, message, **options: store.log(
                kind, message, unit=self.unit, **options))
            store.log(LogKind.SAFETY, outage_summary(self._offline_since, now,
                                                     self._held.dropped),
                      now=now, unit=self.unit)
            self._offline_since, self._held.dropped = None, 0
            self.log.info("the database answers again")
        if self._give_back_pending and self.running is None:
            self._give_back_pending = False
            given_back = store.give_back_executing(
                now, "interrupted when the majordome lost the database")
            if given_back:
                store.log(LogKind.SEQUENCE, f"sequences {given_back} were interrupted when "
                                            "the database was lost: given back to the "
                                            "scheduler", now=now, unit=self.unit)

    def _night_log(self, kind: LogKind, message: str, **options: Any) -> None:
        """The night log, or held until the database is back."""
        if self._offline_since is not None:
            self._held.hold(kind, message, **options)
        else:
            store.log(kind, message, unit=self.unit, **options)

    def describe(self) -> dict[str, Any]:
        running = self.running
        return {"state": self.state.value,
                "work": running.work.key if running else None, "fault": self._fault}

    # --- commands run in the main loop, at once ----------------------------------------

    def generic_safety_changed(self, cmd: Command, safe: StrictBool | None = None,
                               status: Reason = "",
                               reasons: SafetyReasons = ()) -> str:
        """From the monitoring: decide now rather than at the next period. Its arguments
        say what changed; the decision reads the stored safety itself."""
        return self.tick().value

    def generic_plan_changed(self, cmd: Command, schedule: RecordId | None = None) -> str:
        """From the scheduler: a new plan may preempt what executes."""
        return self.tick().value

    def generic_control_changed(self, cmd: Command, action: ShortText = "") -> str:
        """From the Observatory page: an operator's action."""
        return self.tick().value

    @command
    def status(self, ctx: CommandContext) -> dict[str, Any]:
        """The state, why we are not observing, and what executes."""
        inputs = self.last_inputs
        return {"state": self.state.value, "work": self.running.work.key if self.running
                else None, "why_not": self._why_not(inputs) if inputs else [],
                "fault": self._fault}

    # --- one decision ------------------------------------------------------------------

    def tick(self) -> State:
        """One decision. Called from the main loop only (the routine and the commands
        that wake it run there), so decisions never overlap."""
        now = clock.now()
        unit = self.unit
        around = store.surroundings(unit, now)
        if self._offline_since is not None or self._give_back_pending:
            self._database_back(now)
        sun = sun_now(site_of(unit), now, unit.majordome.open_sun_altitude)
        night = night_of(now, unit.site.longitude)
        self._clear_fault(now)
        closed, opened = self._physical()
        bypass, plc_ko = self._bypass(around, now)
        inputs = Inputs(
            plc_link=around.plc_link and not plc_ko, plc_auto=around.plc_auto,
            safe=around.safe, bypass=bypass, locked=around.control.locked, mode=around.mode,
            phase=sun.phase, night_ack=store.night_ack_given(unit, around, night),
            closed=closed, opened=opened, stopped=around.control.stopped,
            busy=self._busy_outside(), fault=bool(self._fault),
            # Asked only before opening: a night under way is not abandoned for it.
            disk_room=opened or self.disk.room(unit, night, now).room)
        self._record_conditions(around, now)
        changed = self._transition(decide(self.state, inputs), inputs, now)
        if changed:  # what follows comes after the state's entry, however long it took
            now = self._state_entered
        self._coolers(sun, night, now)
        if self._duties(inputs, sun, night, now):
            inputs = replace(inputs, busy=self._busy_outside())
            changed = self._transition(decide(self.state, inputs), inputs, now) or changed
        self._heartbeat()
        self._note_night_end(sun, night, inputs, now)
        self.last_inputs = inputs
        running = self.running
        store.record_state(
            self.state, decision=changed, inputs=inputs, now=now,
            why_not=self._why_not(inputs),
            sun=(sun.phase.value, round(sun.altitude, 2)),
            work=f"{running.work.key}: {running.work.name}" if running else "",
            sequence_id=running.work.sequence_id if running else None, fault=self._fault,
            since=self._state_entered)
        return self.state

    def _why_not(self, inputs: Inputs) -> list[str]:
        """The table's reasons, the disk's with its figures."""
        disk = self.disk.last
        return [f"{reason}: {disk.reason}" if reason == NO_DISK_ROOM and disk else reason
                for reason in why_not_observing(self.state, inputs)]

    def _transition(self, decision: Decision, inputs: Inputs,
                    now: datetime) -> Decision | None:
        """Enter the decided state (logged, acted on); the decision if the state changed.
        The night log stamps it when it is entered, not when the decision began (``now``):
        gathering the inputs may take seconds (a silent device, the first night sky),
        which are minutes of a fast simulated night."""
        if decision.state == self.state:
            return None
        entered = max(clock.now(), now)
        before, self.state = self.state, decision.state
        self._state_entered = entered
        self.conditions.record(entered, OBSSTATE=decision.state.value)
        self._warned_closing = False
        self.log.info("%s -> %s: %s", before, decision.state, decision.cause)
        self._night_log(LogKind.STATE, f"{before} → {decision.state}: {decision.cause}",
                        now=entered,
                        detail={"from": before.value, "to": decision.state.value,
                                "cause": decision.cause})
        self._stop_disallowed_work(decision.cause, stopped=inputs.stopped)
        if decision.state == State.CLOSING:
            self._start_motion(self._close_orders)
        elif decision.state == State.OPENING:
            self._start_motion(self._open_orders)
        return decision

    def _note_night_end(self, sun: Sun, night: date, inputs: Inputs, now: datetime) -> None:
        """Log the end of a night once: the first decision of the morning (DAY) with the
        observatory closed and nothing moving, after a night this agent ran through. The
        health agent builds the morning report from it; nothing here waits for that."""
        if sun.phase != Phase.DAY:
            self._dark_nights.add(night)
            return
        if sun.evening or night not in self._dark_nights or night in self._ended_nights \
                or not inputs.closed or self.state in MOVING_OR_OPEN:
            return
        self._ended_nights.add(night)
        self._night_log(LogKind.NIGHT, f"{NIGHT_ENDED}: the observatory is closed ({night})",
                        now=now, detail={"key": night_end_key(night), "state": self.state.value})

    # --- the dome and the mount ----------------------------------------------------------

    def _physical(self) -> tuple[bool, bool]:
        """(closed and parked, open) as the devices say now; a device that does not
        answer is neither."""
        assert self.devices is not None
        timeout = self.unit.majordome.status_timeout
        try:
            mount = self.devices.mount.status(timeout)
            self._watchdog_tripped("mount", self.devices.mount.name, mount.watchdog_tripped_at)
            dome = self.devices.dome
            if dome is None:  # nothing to open: the sky is there when unparked
                return mount.parked, True
            dome_status = dome.status(timeout)
            self._watchdog_tripped("dome", dome.name, dome_status.watchdog_tripped_at)
        except DeviceError as exc:
            self.log.warning("device status unknown: %s", exc)
            return False, False
        shutter = dome_status.shutter
        return mount.parked and shutter == ShutterState.CLOSED, shutter == ShutterState.OPEN

    def _watchdog_tripped(self, kind: str, device: str, tripped_at: datetime | None) -> None:
        """A device that made itself safe for want of heartbeats: said once per trip, in
        the night log (SAFETY) and the majordome's log."""
        if not self._trips.new_trip(device, tripped_at):
            return
        assert tripped_at is not None
        message = trip_message(kind, device, tripped_at, self.unit.majordome.heartbeat)
        self.log.error("%s", message)
        self._night_log(LogKind.SAFETY, message, now=tripped_at,
                        detail=trip_detail(device, tripped_at))

    def _close_orders(self) -> None:
        """Order the mount parked and the dome closed; the decisions read whether it is
        done (and order it again every RETRY_CLOSE seconds until it is)."""
        assert self.devices is not None
        limit = self.unit.majordome.close_within
        self.devices.mount.park(wait=False, timeout=limit)
        if self.devices.dome is not None:
            self.devices.dome.close(wait=False, timeout=limit)

    def _open_orders(self) -> None:
        assert self.devices is not None
        self.devices.mount.unpark()
        dome = self.devices.dome
        if dome is not None:
            dome.open(wait=True, timeout=self.unit.majordome.open_within)

    def _start_motion(self, order: Callable[[], None]) -> None:
        self._motion = self._mover.submit(self._motion_thread, order)
        self._motion_started = clock.now()

    def _motion_thread(self, order: Callable[[], None]) -> str:
        """Run a closing or opening order; its error, or "" when it went through."""
        try:
            order()
            return ""
        except DeviceError as exc:
            return str(exc)
        finally:
            wake(self.name)

    def _bypass(self, around: store.Surroundings, now: datetime) -> tuple[bool, bool]:
        """(the PLC BYPASS in force, the PLC KO). The operator's PLC BYPASS (or its end)
        goes to the PLC through the monitoring, again every BYPASS_RESEND seconds until
        the PLC's status echoes it; it is in force only once the PLC says it is set (its
        end, at once). A PLC that does not echo it within ``bypass_timeout`` is KO:
        closed and parked until it does."""
        wish, echoed = around.control.bypass, around.plc_bypass
        if wish == echoed:
            if self._bypass_ko:
                store.log(LogKind.SAFETY, f"the PLC echoes PLC BYPASS={int(wish)}: PLC OK",
                          now=now, unit=self.unit)
            self._bypass_since, self._bypass_ko = None, False
            return wish, False
        if not around.plc_link:  # the link is down already: nothing reaches the PLC
            return False, self._bypass_ko
        if self._bypass_since is None:
            self._bypass_since = now
        if wish != self._bypass_asked or time.monotonic() >= self._next_bypass_ask:
            self._bypass_asked = wish
            self._next_bypass_ask = time.monotonic() + BYPASS_RESEND
            try:
                bus.send_command(MONITORING, "set_bypass", sender=self.name,
                                 validity=BYPASS_RESEND * 2, on=wish)
            except DatabaseError as exc:
                self.log.error("could not ask the monitoring to send the bypass: %s", exc)
        limit = self.unit.majordome.bypass_timeout
        waited = (now - self._bypass_since).total_seconds()
        if waited > limit * clock.pace() and not self._bypass_ko:
            self._bypass_ko = True
            store.log(LogKind.SAFETY, f"PLC KO: the PLC did not echo PLC BYPASS={int(wish)} "
                      f"within {limit:g} s", now=now, unit=self.unit)
            self.log.error("PLC KO: no echo of PLC BYPASS=%d within %g s", wish, limit)
        return False, self._bypass_ko

    def _heartbeat(self) -> None:
        period = self.unit.majordome.heartbeat
        if period <= 0 or time.monotonic() < self._next_heartbeat or self.devices is None:
            return
        # Wall seconds, as the watchdog counts them (simulators/models.py, WatchdogTimer):
        # a loaded machine's pause is never S times longer for a clock at speed S.
        self._next_heartbeat = time.monotonic() + period / 4
        seconds = 0.0 if self.state == State.PASSIVE else period
        for device in (self.devices.mount, self.devices.dome):
            if device is None or not getattr(device, "has_watchdog", False):
                continue
            try:
                device.arm_watchdog(seconds)
            except DeviceError as exc:
                self.log.warning("watchdog of %s not renewed: %s", device.name, exc)

    # --- what the state asks for ---------------------------------------------------------

    def _duties(self, inputs: Inputs, sun: Sun, night: date, now: datetime) -> bool:
        """The state's work; True when work started (the state may change with it)."""
        self._watch_motion(now)
        if self.state == State.SCHEDULER_STANDBY:
            return self._closed_calibrations(sun, night, now)
        if self.state in (State.SCHEDULER_READY, State.OBSERVING) and not inputs.stopped:
            self._check_running(now)
            return self._next_work(sun, night, now)
        return False

    def _watch_motion(self, now: datetime) -> None:
        """Read a finished motion's outcome once; while CLOSING, order the closing again
        every RETRY_CLOSE seconds and say it when it takes longer than allowed."""
        motion = self._motion
        if motion is not None and motion.done():
            self._motion = None
            error = motion.result()
            if error and self.state == State.CLOSING:
                self._night_log(LogKind.DEVICE, f"closing: {error}", now=now)
            elif error and self.state == State.OPENING:
                self._set_fault(f"the dome did not open: {error}", now)
        if self.state != State.CLOSING:
            return
        limit = self.unit.majordome.close_within
        if (now - self._state_entered).total_seconds() > limit and not self._warned_closing:
            self._warned_closing = True
            self._night_log(LogKind.SAFETY, f"not closed and parked within {limit:g} s",
                            now=now)
            self.log.error("not closed and parked within %g s", limit)
        if self._motion is None and (now - self._motion_started).total_seconds() > RETRY_CLOSE:
            self._start_motion(self._close_orders)

    def _set_fault(self, reason: str, now: datetime) -> None:
        self._fault = reason
        self._fault_until = now + timedelta(seconds=FAULT_HOLD)
        self._night_log(LogKind.DEVICE, f"{reason}: closed for {FAULT_HOLD / 60:g} min",
                        now=now)
        self.log.error("%s", reason)

    def _clear_fault(self, now: datetime) -> None:
        if self._fault and self._fault_until is not None and now >= self._fault_until:
            self.log.info("fault hold over: %s", self._fault)
            self._fault, self._fault_until = "", None

    def _closed_calibrations(self, sun: Sun, night: date, now: datetime) -> bool:
        """Bias and darks with the dome closed: before dusk and after dawn."""
        if self.running is not None or sun.phase != Phase.DAY:
            return False
        settings = self.unit.majordome
        if sun.evening:
            if not settings.calibrations.dusk or \
                    sun.altitude > settings.open_sun_altitude + DARKS_BEFORE_DUSK:
                return False
            when = "dusk"
        else:
            if not settings.calibrations.dawn or not self._night_was_observed(night):
                return False
            when = "dawn"
        if calibrations.calibration_key(night, when, "darks") in self._tried:
            return False
        if not self._cameras_cold(now):
            return False
        work = calibrations.bias_and_darks(self.unit, night, when)
        return work is not None and self._start_calibration(work, now)

    def _coolers(self, sun: Sun, night: date, now: datetime) -> None:
        """Cold from before dusk's darks until dawn's are done, then off (cooling.py);
        not in the states where the site is in other hands."""
        setpoints = cooled_channels(self.unit)
        if not setpoints or self.state in HANDS_OFF_STATES or self.devices is None or \
                time.monotonic() < self._next_coolers:
            return
        self._next_coolers = time.monotonic() + COOLERS_EVERY
        darks_from = self.unit.majordome.open_sun_altitude + DARKS_BEFORE_DUSK
        cold = wanted_cold(sun, darks_from, dawn_pending=self._dawn_darks_pending(night))
        self._cameras, said = steer_coolers(self.devices.cameras, setpoints, cold,
                                            self.unit.majordome.status_timeout)
        for sentence in said:
            self.log.info("%s", sentence)
            self._night_log(LogKind.DEVICE, sentence, now=now)

    def _dawn_darks_pending(self, night: date) -> bool:
        """Dawn's bias and darks are still to come, or being taken."""
        settings = self.unit.majordome.calibrations
        if not settings.dawn or not self._night_was_observed(night):
            return False
        key = calibrations.calibration_key(night, "dawn", "darks")
        running = self.running
        return key not in self._tried or (running is not None and running.work.key == key)

    def _cameras_cold(self, now: datetime) -> bool:
        """Whether the bias and darks may begin: the cameras cold, or waited for long
        enough (the night log says which did not make it)."""
        ready, sentence = self._cold_wait.check(self._cameras, now)
        if sentence:
            level = self.log.warning if "not cold" in sentence else self.log.info
            level("%s", sentence)
            self._night_log(LogKind.CALIBRATION, sentence, now=now)
        return ready

    def _night_was_observed(self, night: date) -> bool:
        """Dawn's darks only after a night that had dusk's (not every afternoon)."""
        return any(calibrations.calibration_key(night, "dusk", what) in self._tried
                   for what in ("darks", "flats"))

    def _next_work(self, sun: Sun, night: date, now: datetime) -> bool:
        if self.running is not None:
            return self._preempt_if_due(now)
        settings = self.unit.majordome.calibrations
        when = "dusk" if sun.evening else "dawn"
        if sun.phase in (Phase.DUSK, Phase.DAWN) and calibrations.in_flat_window(
                sun.altitude, settings) and (settings.dusk if sun.evening else settings.dawn) \
                and calibrations.calibration_key(night, when, "flats") not in self._tried:
            work = calibrations.twilight_flats(self.unit, night, when, sun.altitude,
                                               sun.azimuth)
            if work is not None and self._start_calibration(work, now):
                return True
        if sun.phase == Phase.NIGHT and self._focus_if_due(sun, night, now):
            return True
        due = store.due_entry(self.unit, now)
        if due is None:
            return False
        return self._start_sequence(due.sequence_id, now)

    def _focus_if_due(self, sun: Sun, night: date, now: datetime) -> bool:
        """An autofocus before the next sequence, when ``[focus] auto`` and it is due
        (pyros.focus.due). One try per night's start and per degree step of the
        temperature, so a focus that fails is not tried again at every turn."""
        from pyros.focus import store as focus_store
        from pyros.focus.due import focus_due

        config = self.unit.focus
        if not config.auto or self.devices is None or not self.devices.focusers:
            return False
        focuser = self.devices.focusers.get(config.focuser) or next(
            iter(self.devices.focusers.values()))
        try:
            temperature = focuser.status().temperature
        except DeviceError as exc:
            self.log.warning("focus: the focuser does not answer: %s", exc)
            return False
        noon = datetime.combine(night, datetime.min.time(), tzinfo=now.tzinfo) + timedelta(
            hours=12 - self.unit.site.longitude / 15.0)
        reason = focus_due(config, focus_store.last_focus(noon), temperature)
        if reason is None:
            return False
        step = "start" if temperature is None else round(temperature / config.temperature_change)
        key = f"focus-{night.isoformat()}-{step}"
        return self._start_calibration(
            calibrations.focus_work(self.unit, key, reason, sun.azimuth), now)

    def _preempt_if_due(self, now: datetime) -> bool:
        running = self.running
        assert running is not None and self.sequence_executor is not None
        if running.interrupted:
            return False
        due = store.due_entry(self.unit, now)
        if due is None or due.sequence_id == running.work.sequence_id or \
                due.priority <= running.work.priority:
            return False
        reason = (f"preempted by sequence #{due.sequence_id} (priority {due.priority}) of "
                  f"plan #{due.schedule_id}")
        self._interrupt(reason)
        try:
            running.future.result(timeout=5.0)
        except Exception as exc:
            self.log.error("the interrupted work did not end cleanly: %s", exc)
        store.log(LogKind.PLAN, reason, now=now, unit=self.unit,
                  sequence_id=running.work.sequence_id)
        return self._start_sequence(due.sequence_id, clock.now())

    def _check_running(self, now: datetime) -> None:
        """A sequence cancelled while executing (a retracted alert) stops."""
        running = self.running
        if running is None or running.interrupted or running.work.sequence_id is None:
            return
        status = Sequence.objects.filter(pk=running.work.sequence_id).values_list(
            "status", flat=True).first()
        if status != SequenceStatus.EXECUTING:
            self._interrupt(f"the sequence is now {status}")

    def _busy_outside(self) -> bool:
        """Open-dome work is executing (it is what makes the state OBSERVING)."""
        running = self.running
        return running is not None and running.work.needs_open_dome and \
            not running.future.done()

    def _stop_disallowed_work(self, cause: str, *, stopped: bool) -> None:
        """Open-dome work runs only open and not stopped; closed-dome calibrations only
        in SCHEDULER_STANDBY."""
        running = self.running
        if running is None or running.future.done():
            return
        open_work = running.work.needs_open_dome
        allowed = (self.state in (State.SCHEDULER_READY, State.OBSERVING) and open_work
                   and not stopped) or (self.state == State.SCHEDULER_STANDBY and not open_work)
        if not allowed:
            self._interrupt(cause)

    def _interrupt(self, reason: str) -> None:
        running = self.running
        if running is None or self.sequence_executor is None or running.interrupted:
            return
        running.interrupted = reason
        self.log.info("interrupting %s: %s", running.work.key, reason)
        self.sequence_executor.interrupt(reason)

    # --- running work ----------------------------------------------------------------------

    def _start_sequence(self, sequence_id: int, now: datetime) -> bool:
        if not store.start_sequence(sequence_id, now):
            return False
        work = store.sequence_work(self.unit, sequence_id)
        store.log(LogKind.SEQUENCE, f"sequence #{sequence_id} {work.name!r} started "
                                    f"(priority {work.priority})", now=now, unit=self.unit,
                  sequence_id=sequence_id, detail={"key": work.key, "phase": "start"})
        self._submit(work)
        return True

    def _start_calibration(self, work: SequenceWork, now: datetime) -> bool:
        if work.key in self._tried:
            return False
        self._tried.add(work.key)
        store.log(LogKind.CALIBRATION, f"{work.name} started", now=now, unit=self.unit,
                  detail={"key": work.key})
        self._submit(work)
        return True

    def _submit(self, work: SequenceWork) -> None:
        self.running = Running(work, self._runner.submit(self._execute, work))

    def _execute(self, work: SequenceWork) -> None:
        """The executor thread: run the work, record its images as they come, and its
        end; then let the main loop decide what is next."""
        assert self.sequence_executor is not None
        unit = self.unit
        try:
            def slew_issued(when: datetime) -> None:
                if work.sequence_id is not None:
                    store.announce_slew(work.sequence_id, when)

            outcome = self.sequence_executor.run(
                work, on_image=lambda image: persist(
                    lambda _: store.record_image(unit, work, image),
                    f"recording {image.path.name}", self.log),
                on_slew=slew_issued)
            now = clock.now()
            summary = (f"{work.name}: {outcome.outcome}, {len(outcome.images)} images"
                       f"{': ' + outcome.reason if outcome.reason else ''}")
            if work.kind == WorkKind.SCIENCE and work.sequence_id is not None:
                sequence_id = work.sequence_id

                def finish(attempt: int) -> str:
                    # A first attempt whose commit went through but whose answer was
                    # lost: the sequence has ended, nothing to do (or charge) twice.
                    if attempt and not Sequence.objects.filter(
                            pk=sequence_id, status=SequenceStatus.EXECUTING).exists():
                        return "ended"
                    status = store.finish_sequence(unit, sequence_id, outcome, now)
                    store.log(LogKind.SEQUENCE, f"sequence #{sequence_id} {summary} → "
                                                f"{status}", now=now, unit=unit,
                              sequence_id=sequence_id,
                              detail={"key": work.key, "outcome": outcome.outcome.value,
                                      "images": len(outcome.images)})
                    return status

                persist(finish, f"ending sequence #{sequence_id}", self.log)
            else:
                if work.kind == WorkKind.FOCUS and outcome.focus is not None:
                    from pyros.focus.store import save_run

                    persist(lambda _: save_run(outcome.focus, work.name),
                            f"recording {work.key}", self.log)
                persist(lambda _: store.log(
                    LogKind.CALIBRATION, summary, now=now, unit=unit,
                    detail={"key": f"{work.key}:end", "outcome": outcome.outcome.value,
                            "images": len(outcome.images)}), f"ending {work.key}", self.log)
            level = self.log.info if outcome.outcome == Outcome.EXECUTED else self.log.warning
            level("%s", summary)
        except Exception:
            self.log.exception("executing %s failed", work.key)
            raise
        finally:
            self.running = None
            close_old_connections()
            connection.close()
            wake(self.name)

    # --- what the headers say about the other subsystems --------------------------------

    def _record_conditions(self, around: store.Surroundings, now: datetime) -> None:
        """The safety and the last weather reading, in force from this decision on (the
        state is recorded when entered): the headers give those of the exposure's start.
        Before the decision's transitions, whose times are later."""
        readings: dict[str, object] = {"SAFETY": around.safety_status}
        weather = WeatherWatch.objects.order_by("-time", "-id").first()
        if weather is not None:
            readings["WXSKY"] = weather.sky
            for key, value in (("WXRAIN", weather.rain_rate), ("WXWIND", weather.wind_speed),
                               ("WXHUMID", weather.humidity), ("WXTEMP", weather.temperature),
                               ("WXPRESS", weather.pressure),
                               ("WXSKYT", weather.sky_temperature)):
                readings[key] = None if value is None else round(float(value), 2)
        self.conditions.record(now, **readings)

    def _image_dir(self, work: SequenceWork, channel: str) -> Path:
        """The archive's raw folder of the channel for tonight: frames are written
        where they are kept (docs/archive.md)."""
        night = night_of(clock.now(), self.unit.site.longitude)
        return archive_layout.folder(self.unit, channel, night, "raw")

