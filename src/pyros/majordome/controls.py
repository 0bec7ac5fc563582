"""The operator's buttons of the Observatory control page (MISSION.md §7, the guide's
section 13.12.2): which is offered in which state, to which profile.

Each action has a right of the rights matrix and a condition on the majordome's state
and the operator's switches; :func:`refusal` says why an action is not available now
(None when it is). The page shows only the available actions, and the store checks
again when one is asked for, so a stale page cannot do what the state no longer allows.

Plain Python.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from pyros.majordome.states import Mode, State


class Action(StrEnum):
    BYPASS = "bypass"
    STOP_BYPASS = "stop_bypass"
    LOCK = "lock"
    UNLOCK = "unlock"
    GO_REMOTE = "go_remote"
    GO_SCHEDULER = "go_scheduler"
    STOP = "stop"
    RESUME = "resume"
    NIGHT_ACK = "night_ack"


@dataclass(frozen=True)
class Situation:
    """What the conditions of the buttons depend on."""

    state: State
    safe: bool  # the monitoring's decision, without the bypass
    bypass: bool
    locked: bool
    stopped: bool
    mode: Mode
    ack_required: bool
    ack_given: bool  # for tonight


@dataclass(frozen=True)
class ActionSpec:
    label: str
    right: str  # of accounts.rights.MATRIX
    confirm: str  # the question the page asks before sending it
    condition: Callable[[Situation], str | None]  # None: allowed; else why not


def _bypass(s: Situation) -> str | None:
    if s.bypass:
        return "the PLC is already bypassed"
    if s.safe:
        return "only offered when the PLC says UNSAFE"
    return None


def _lock(s: Situation) -> str | None:
    if s.locked:
        return "the observatory is already locked"
    if not s.safe:
        return "only offered when SAFE (unsafe, it closes by itself)"
    if s.state not in (State.SCHEDULER_STANDBY, State.SCHEDULER_READY, State.OBSERVING,
                       State.OPENING, State.REMOTE):
        return f"not offered in {s.state}"
    return None


def _unlock(s: Situation) -> str | None:
    if not s.locked:
        return "the observatory is not locked"
    if s.state != State.STANDBY:
        return "offered once the observatory is closed in STANDBY"
    return None


def _go_remote(s: Situation) -> str | None:
    if s.locked:
        return "the observatory is locked"
    if s.mode == Mode.REMOTE:
        return "already in REMOTE mode"
    if s.state not in (State.SCHEDULER_STANDBY, State.SCHEDULER_READY, State.OBSERVING,
                       State.STANDBY, State.PASSIVE):
        return f"not offered in {s.state}"
    return None


def _go_scheduler(s: Situation) -> str | None:
    if s.locked:
        return "the observatory is locked"
    if s.mode == Mode.SCHEDULER:
        return "already in SCHEDULER mode"
    if not s.safe and not s.bypass:
        return "only offered when SAFE"
    return None


def _stop(s: Situation) -> str | None:
    if s.stopped:
        return "already stopped"
    if s.mode != Mode.SCHEDULER:
        return "only in SCHEDULER mode"
    return None


def _resume(s: Situation) -> str | None:
    return None if s.stopped else "nothing to resume"


def _night_ack(s: Situation) -> str | None:
    if not s.ack_required:
        return "this site does not require the night ACK"
    if s.ack_given:
        return "the ACK is given for tonight"
    return None


ACTIONS: dict[Action, ActionSpec] = {
    Action.BYPASS: ActionSpec("PLC BYPASS (set to SAFE)", "observatory.bypass",
                              "Take the site as SAFE whatever the PLC says?", _bypass),
    Action.STOP_BYPASS: ActionSpec("STOP BYPASS", "observatory.bypass",
                                   "Follow the PLC's safety status again?",
                                   lambda s: None if s.bypass else "the PLC is not bypassed"),
    Action.LOCK: ActionSpec("LOCK OBSERVATORY", "observatory.lock",
                            "Close and park, and stay closed until unlocked?", _lock),
    Action.UNLOCK: ActionSpec("UNLOCK OBSERVATORY", "observatory.lock",
                              "Let the observatory open again when conditions allow?",
                              _unlock),
    Action.GO_REMOTE: ActionSpec("GO REMOTE", "observatory.mode",
                                 "Hand the telescope to remote control (the scheduler "
                                 "stops driving it)?", _go_remote),
    Action.GO_SCHEDULER: ActionSpec("GO SCHEDULER", "observatory.mode",
                                    "Give the telescope back to the scheduler?",
                                    _go_scheduler),
    Action.STOP: ActionSpec("STOP", "observatory.stop",
                            "Stop the current sequence now and start nothing until "
                            "RESUME?", _stop),
    Action.RESUME: ActionSpec("RESUME", "observatory.stop",
                              "Let the majordome execute the plan again?", _resume),
    Action.NIGHT_ACK: ActionSpec("GIVE NIGHT ACK", "observatory.night_ack",
                                 "Acknowledge tonight's observations?", _night_ack),
}


def refusal(action: Action, situation: Situation) -> str | None:
    """Why ``action`` is not available now, or None when it is."""
    return ACTIONS[action].condition(situation)
