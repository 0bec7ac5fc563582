"""The majordome's states and the one table that says where each goes next.

The majordome is a state machine (MISSION.md §4 and §7). Everything it decides from
is gathered into one :class:`Inputs` snapshot per decision — safety is read once — and
:func:`decide` maps (state, inputs) to the next state with the cause, in one place:

1. *What the observatory should be doing* follows from the inputs alone: the table
   :data:`GOALS`, read top down (no PLC link first, then the PLC's own mode, the
   operating mode, safety, the operator's lock, faults, REMOTE, the sun, the night
   ACK, room on the archive's disk for the plan (before opening only), the operator's
   STOP, and last whether a sequence is running).
2. *How to get there* (:func:`decide`): a closed goal not yet closed goes through
   CLOSING, an open one not yet open through OPENING; PASSIVE and REMOTE are entered at
   once (the majordome moves nothing there); a CLOSING is never reversed half way (it
   ends, then the next decision may open again); STARTING always leaves.

Plain Python: the agent gathers the inputs and acts on the entered state; the tests
walk every (state, inputs) pair.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    STARTING = "STARTING"
    PASSIVE_NO_PLC = "PASSIVE_NO_PLC"
    PASSIVE = "PASSIVE"
    STANDBY = "STANDBY"
    CLOSING = "CLOSING"
    OPENING = "OPENING"
    SCHEDULER_STANDBY = "SCHEDULER_STANDBY"
    SCHEDULER_READY = "SCHEDULER_READY"
    OBSERVING = "OBSERVING"
    REMOTE = "REMOTE"


class Mode(StrEnum):
    """The operating mode (instruments.models.Mode, repeated here to stay Django-free)."""

    SCHEDULER = "SCHEDULER"
    REMOTE = "REMOTE"
    PASSIVE = "PASSIVE"


class Phase(StrEnum):
    """Where the sun is: DAY above ``open_sun_altitude``; DUSK and DAWN between it and
    the site's night altitude (evening and morning); NIGHT below."""

    DAY = "DAY"
    DUSK = "DUSK"
    NIGHT = "NIGHT"
    DAWN = "DAWN"


#: States whose dome is closed and mount parked once reached.
CLOSED_STATES = frozenset({State.PASSIVE_NO_PLC, State.STANDBY, State.SCHEDULER_STANDBY})
#: States whose dome is open.
OPEN_STATES = frozenset({State.SCHEDULER_READY, State.OBSERVING})
#: States in which the majordome leaves the devices alone.
HANDS_OFF_STATES = frozenset({State.PASSIVE, State.REMOTE})


@dataclass(frozen=True)
class Inputs:
    """One snapshot of everything a decision depends on."""

    plc_link: bool  # the PLC answers and the monitoring's decision is current
    plc_auto: bool  # the PLC is in automatic mode (manual/off: local staff in charge)
    safe: bool  # the safety decision (monitoring)
    bypass: bool  # the operator's PLC BYPASS: unsafe is taken as safe
    locked: bool  # the operator's LOCK
    mode: Mode
    phase: Phase
    night_ack: bool  # the night's ACK was given (or is not required)
    closed: bool  # the dome is closed and the mount parked
    opened: bool  # the dome is open
    stopped: bool  # the operator's STOP: finish nothing, start nothing
    busy: bool  # a sequence is executing
    fault: bool = False  # the dome would not open, the mount would not answer: wait
    disk_room: bool = True  # the rest of tonight's plan fits on the archive's disk

    @property
    def safe_to_open(self) -> bool:
        return self.safe or self.bypass


@dataclass(frozen=True)
class Decision:
    state: State
    cause: str  # why: written to the night log with the transition


NO_DISK_ROOM = "the archive's disk cannot hold tonight's plan"

#: What the observatory should be doing, in order of precedence: the first row whose
#: condition holds gives the goal and its cause.
GOALS: tuple[tuple[Callable[[Inputs], bool], State, str], ...] = (
    (lambda i: not i.plc_link, State.PASSIVE_NO_PLC,
     "no link with the PLC (or the monitoring is not deciding): closed and parked"),
    (lambda i: not i.plc_auto, State.PASSIVE,
     "the PLC is not in automatic mode: the site is in local hands"),
    (lambda i: i.mode == Mode.PASSIVE, State.PASSIVE, "the operating mode is PASSIVE"),
    (lambda i: not i.safe_to_open, State.STANDBY, "unsafe conditions: closed and parked"),
    (lambda i: i.locked, State.STANDBY, "the observatory is locked by the operator"),
    (lambda i: i.fault, State.STANDBY, "a device fault: closed and parked until it clears"),
    (lambda i: i.mode == Mode.REMOTE, State.REMOTE, "the operating mode is REMOTE"),
    (lambda i: i.phase == Phase.DAY, State.SCHEDULER_STANDBY, "daytime: waiting for dusk"),
    (lambda i: not i.night_ack, State.SCHEDULER_STANDBY, "waiting for the night ACK"),
    # A night is not started on a disk its plan would fill; one under way (open) goes on.
    (lambda i: not i.disk_room and not i.opened, State.SCHEDULER_STANDBY, NO_DISK_ROOM),
    (lambda i: i.stopped, State.SCHEDULER_READY, "stopped by the operator"),
    (lambda i: i.busy, State.OBSERVING, "executing a sequence"),
    (lambda i: True, State.SCHEDULER_READY, "ready: waiting for the next sequence"),
)


def wanted(i: Inputs) -> Decision:
    """Where the inputs say the observatory should be, with the reason."""
    return next(Decision(state, cause) for condition, state, cause in GOALS if condition(i))


def decide(state: State, i: Inputs) -> Decision:
    """The next state from ``state`` given ``i`` (the same state when nothing changes)."""
    goal = wanted(i)
    if state == State.CLOSING:
        if not i.closed:
            return Decision(State.CLOSING, "closing the dome and parking the mount")
        if goal.state in OPEN_STATES:  # conditions came back while closing: finish first
            return Decision(State.SCHEDULER_STANDBY, f"closed; next: {goal.cause}")
        return goal
    if goal.state in CLOSED_STATES:
        return goal if i.closed else Decision(State.CLOSING, goal.cause)
    if goal.state in HANDS_OFF_STATES or i.opened:
        return goal
    return Decision(State.OPENING, f"opening the dome ({goal.cause})")


def why_not_observing(state: State, i: Inputs) -> list[str]:
    """Every reason that keeps the telescope from observing now, most important first
    (empty while observing)."""
    if state == State.OBSERVING:
        return []
    reasons = []
    if not i.plc_link:
        reasons.append("no link with the PLC, or the monitoring is not deciding")
    if i.plc_link and not i.plc_auto:
        reasons.append("the PLC is not in automatic mode")
    if i.mode != Mode.SCHEDULER:
        reasons.append(f"the operating mode is {i.mode}, not SCHEDULER")
    if not i.safe_to_open:
        reasons.append("the site is unsafe")
    if i.locked:
        reasons.append("the observatory is locked by the operator")
    if i.fault:
        reasons.append("a device fault (see the night log)")
    if i.phase == Phase.DAY:
        reasons.append("it is daytime")
    if not i.night_ack:
        reasons.append("the night ACK has not been given")
    if not i.disk_room and not i.opened:
        reasons.append(NO_DISK_ROOM)
    if i.stopped:
        reasons.append("the operator stopped the observations")
    if state == State.CLOSING:
        reasons.append("the dome is closing")
    if state == State.OPENING:
        reasons.append("the dome is opening")
    if not reasons:
        reasons.append("no sequence of the plan is due now")
    return reasons
