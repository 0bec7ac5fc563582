"""The majordome's state table: every state against every input, by hand, and the
safety properties over every combination of inputs."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from pyros.majordome.states import (
    CLOSED_STATES,
    OPEN_STATES,
    Inputs,
    Mode,
    Phase,
    State,
    decide,
    why_not_observing,
)

S = State

#: A clear, acknowledged night in scheduler mode, dome closed and mount parked.
CLOSED = Inputs(plc_link=True, plc_auto=True, safe=True, bypass=False, locked=False,
                mode=Mode.SCHEDULER, phase=Phase.NIGHT, night_ack=True, closed=True,
                opened=False, stopped=False, busy=False)
#: The same night with the dome open.
OPEN = replace(CLOSED, closed=False, opened=True)

#: One input changed from the baseline.
CHANGES: dict[str, dict] = {
    "nothing": {},
    "PLC lost": {"plc_link": False},
    "PLC manual": {"plc_auto": False},
    "unsafe": {"safe": False},
    "unsafe, bypassed": {"safe": False, "bypass": True},
    "locked": {"locked": True},
    "fault": {"fault": True},
    "mode REMOTE": {"mode": Mode.REMOTE},
    "mode PASSIVE": {"mode": Mode.PASSIVE},
    "day": {"phase": Phase.DAY},
    "dusk": {"phase": Phase.DUSK},
    "dawn": {"phase": Phase.DAWN},
    "no night ACK": {"night_ack": False},
    "stopped": {"stopped": True},
    "busy": {"busy": True},
    "no room on the disk": {"disk_room": False},
}

EVERY_STATE = list(State)

# (change) -> (what every state goes to, {state: what it goes to instead}).
#: With the dome closed and the mount parked.
FROM_CLOSED: dict[str, tuple[State, dict[State, State]]] = {
    "nothing": (S.OPENING, {S.CLOSING: S.SCHEDULER_STANDBY}),
    "PLC lost": (S.PASSIVE_NO_PLC, {}),
    "PLC manual": (S.PASSIVE, {}),
    "unsafe": (S.STANDBY, {}),
    "unsafe, bypassed": (S.OPENING, {S.CLOSING: S.SCHEDULER_STANDBY}),
    "locked": (S.STANDBY, {}),
    "fault": (S.STANDBY, {}),
    "mode REMOTE": (S.REMOTE, {}),
    "mode PASSIVE": (S.PASSIVE, {}),
    "day": (S.SCHEDULER_STANDBY, {}),
    "dusk": (S.OPENING, {S.CLOSING: S.SCHEDULER_STANDBY}),
    "dawn": (S.OPENING, {S.CLOSING: S.SCHEDULER_STANDBY}),
    "no night ACK": (S.SCHEDULER_STANDBY, {}),
    "stopped": (S.OPENING, {S.CLOSING: S.SCHEDULER_STANDBY}),
    "busy": (S.OPENING, {S.CLOSING: S.SCHEDULER_STANDBY}),
    "no room on the disk": (S.SCHEDULER_STANDBY, {}),  # the night is not started
}
#: With the dome open: every reason to close goes through CLOSING, which is never left
#: before the dome is closed.
FROM_OPEN: dict[str, tuple[State, dict[State, State]]] = {
    "nothing": (S.SCHEDULER_READY, {S.CLOSING: S.CLOSING}),
    "PLC lost": (S.CLOSING, {}),
    "PLC manual": (S.PASSIVE, {S.CLOSING: S.CLOSING}),
    "unsafe": (S.CLOSING, {}),
    "unsafe, bypassed": (S.SCHEDULER_READY, {S.CLOSING: S.CLOSING}),
    "locked": (S.CLOSING, {}),
    "fault": (S.CLOSING, {}),
    "mode REMOTE": (S.REMOTE, {S.CLOSING: S.CLOSING}),
    "mode PASSIVE": (S.PASSIVE, {S.CLOSING: S.CLOSING}),
    "day": (S.CLOSING, {}),
    "dusk": (S.SCHEDULER_READY, {S.CLOSING: S.CLOSING}),
    "dawn": (S.SCHEDULER_READY, {S.CLOSING: S.CLOSING}),
    "no night ACK": (S.CLOSING, {}),
    "stopped": (S.SCHEDULER_READY, {S.CLOSING: S.CLOSING}),
    "busy": (S.OBSERVING, {S.CLOSING: S.CLOSING}),
    "no room on the disk": (S.SCHEDULER_READY, {S.CLOSING: S.CLOSING}),  # a night goes on
}


def _cases(baseline: Inputs, table: dict) -> list:
    cases = []
    for change, (usual, exceptions) in table.items():
        for state in EVERY_STATE:
            expected = exceptions.get(state, usual)
            cases.append(pytest.param(state, replace(baseline, **CHANGES[change]), expected,
                                      id=f"{state}-{change}"))
    return cases


def test_the_tables_name_every_change():
    assert set(FROM_CLOSED) == set(CHANGES) == set(FROM_OPEN)


@pytest.mark.parametrize(("state", "inputs", "expected"), _cases(CLOSED, FROM_CLOSED))
def test_from_closed(state, inputs, expected):
    assert decide(state, inputs).state == expected


@pytest.mark.parametrize(("state", "inputs", "expected"), _cases(OPEN, FROM_OPEN))
def test_from_open(state, inputs, expected):
    assert decide(state, inputs).state == expected


def _every_inputs():
    flags = ("plc_link", "plc_auto", "safe", "bypass", "locked", "night_ack", "closed",
             "opened", "stopped", "busy", "fault", "disk_room")
    for values in itertools.product((False, True), repeat=len(flags)):
        for mode, phase in itertools.product(Mode, Phase):
            yield Inputs(mode=mode, phase=phase, **dict(zip(flags, values, strict=True)))


def test_safety_holds_for_every_state_and_every_input():
    """245 760 decisions: never open, never stay open, unless everything allows it."""
    count = 0
    for inputs in _every_inputs():
        must_close = (not inputs.plc_link or (inputs.plc_auto and inputs.mode != Mode.PASSIVE
                                              and (not inputs.safe_to_open or inputs.locked
                                                   or inputs.fault)))
        for state in EVERY_STATE:
            decision = decide(state, inputs)
            count += 1
            assert decision.state != S.STARTING
            assert decision.cause
            if decision.state in OPEN_STATES or decision.state == S.OPENING:
                assert inputs.plc_link and inputs.plc_auto and inputs.safe_to_open
                assert not inputs.locked and not inputs.fault
                assert inputs.mode == Mode.SCHEDULER and inputs.phase != Phase.DAY
                assert inputs.night_ack
            if decision.state == S.OPENING:
                assert inputs.disk_room  # a night is never begun on a full disk
            if decision.state in OPEN_STATES:
                assert inputs.opened
            if decision.state in CLOSED_STATES:
                assert inputs.closed
            if state == S.CLOSING and not inputs.closed:
                assert decision.state == S.CLOSING  # never reversed half way
            if must_close:
                assert decision.state in CLOSED_STATES | {S.CLOSING}
            if decision.state == S.OBSERVING:
                assert inputs.busy and not inputs.stopped
    assert count == 10 * 2 ** 12 * 12


def test_a_decision_settles_in_two_steps():
    for inputs in _every_inputs():
        for state in EVERY_STATE:
            first = decide(state, inputs).state
            second = decide(first, inputs).state
            assert decide(second, inputs).state == second


def test_a_night():
    """Afternoon, dusk, open, observe, rain, safe again, dawn."""
    steps = [
        (replace(CLOSED, phase=Phase.DAY), S.SCHEDULER_STANDBY),
        (replace(CLOSED, phase=Phase.DUSK), S.OPENING),
        (replace(OPEN, phase=Phase.DUSK), S.SCHEDULER_READY),
        (replace(OPEN, busy=True), S.OBSERVING),
        (replace(OPEN, busy=True, safe=False), S.CLOSING),
        (replace(OPEN, safe=False, busy=False), S.CLOSING),
        (replace(CLOSED, safe=False), S.STANDBY),
        (CLOSED, S.OPENING),
        (OPEN, S.SCHEDULER_READY),
        (replace(OPEN, phase=Phase.DAY), S.CLOSING),
        (replace(CLOSED, phase=Phase.DAY), S.SCHEDULER_STANDBY),
    ]
    state = S.STARTING
    for inputs, expected in steps:
        state = decide(state, inputs).state
        assert state == expected


def test_why_not_observing_names_every_reason():
    inputs = replace(CLOSED, safe=False, locked=True, phase=Phase.DAY, mode=Mode.REMOTE)
    reasons = why_not_observing(S.STANDBY, inputs)
    assert "the site is unsafe" in reasons
    assert "the observatory is locked by the operator" in reasons
    assert "it is daytime" in reasons
    assert any("REMOTE" in r for r in reasons)
    assert why_not_observing(S.OBSERVING, replace(OPEN, busy=True)) == []
    assert why_not_observing(S.SCHEDULER_READY, OPEN) == ["no sequence of the plan is due now"]


def test_why_not_observing_names_the_disk_before_opening_only():
    full = replace(CLOSED, disk_room=False)
    assert "the archive's disk cannot hold tonight's plan" in why_not_observing(
        S.SCHEDULER_STANDBY, full)
    assert why_not_observing(S.SCHEDULER_READY, replace(OPEN, disk_room=False)) == [
        "no sequence of the plan is due now"]
