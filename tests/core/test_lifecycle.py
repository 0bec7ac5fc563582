import itertools

import pytest

from pyros.observations.lifecycle import (
    REQUEST_TRANSITIONS,
    SEQUENCE_TRANSITIONS,
    InvalidTransition,
    RequestStatus,
    SequenceStatus,
    check_request_transition,
    check_sequence_transition,
)


def test_every_status_has_a_row():
    assert set(REQUEST_TRANSITIONS) == set(RequestStatus)
    assert set(SEQUENCE_TRANSITIONS) == set(SequenceStatus)


@pytest.mark.parametrize(("current", "new"), [
    (s, n) for s in SequenceStatus for n in SequenceStatus
])
def test_sequence_transitions_follow_the_table(current, new):
    if new in SEQUENCE_TRANSITIONS[current]:
        assert check_sequence_transition(current, new) == new
    else:
        with pytest.raises(InvalidTransition, match=f"from {current} to {new}"):
            check_sequence_transition(current, new)


def test_final_statuses_say_so():
    with pytest.raises(InvalidTransition, match="none: it is final"):
        check_request_transition(RequestStatus.CANCELLED, RequestStatus.SUBMITTED)
    assert check_request_transition("DRAFT", "SUBMITTED") == RequestStatus.SUBMITTED


def test_the_night_path_is_allowed():
    path = ["DRAFT", "TOBEPLANNED", "PLANNED", "EXECUTING", "TOBEPLANNED", "PLANNED",
            "EXECUTING", "EXECUTED"]
    for current, new in itertools.pairwise(path):
        check_sequence_transition(current, new)
