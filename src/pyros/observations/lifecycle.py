"""Statuses of requests and sequences, and which changes between them are allowed.

A request is built as a DRAFT, then SUBMITTED for planning, and ends COMPLETED or
CANCELLED. Its sequences wait as DRAFT until the request is submitted, then go through
the scheduler (TOBEPLANNED, PLANNED or UNPLANNABLE) and the majordome (EXECUTING,
EXECUTED or FAILED). A preempted or failed sequence goes back to TOBEPLANNED.
"""

from __future__ import annotations

from enum import StrEnum


class RequestStatus(StrEnum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class SequenceStatus(StrEnum):
    DRAFT = "DRAFT"
    TOBEPLANNED = "TOBEPLANNED"
    PLANNED = "PLANNED"
    UNPLANNABLE = "UNPLANNABLE"
    EXECUTING = "EXECUTING"
    EXECUTED = "EXECUTED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class ObsType(StrEnum):
    BESTELEV = "BESTELEV"
    IMMEDIATE = "IMMEDIATE"


REQUEST_TRANSITIONS: dict[RequestStatus, frozenset[RequestStatus]] = {
    RequestStatus.DRAFT: frozenset({RequestStatus.SUBMITTED, RequestStatus.CANCELLED}),
    RequestStatus.SUBMITTED: frozenset({RequestStatus.COMPLETED, RequestStatus.CANCELLED}),
    RequestStatus.COMPLETED: frozenset(),
    RequestStatus.CANCELLED: frozenset(),
}

_S = SequenceStatus
SEQUENCE_TRANSITIONS: dict[SequenceStatus, frozenset[SequenceStatus]] = {
    _S.DRAFT: frozenset({_S.TOBEPLANNED, _S.CANCELLED}),
    _S.TOBEPLANNED: frozenset({_S.PLANNED, _S.UNPLANNABLE, _S.CANCELLED}),
    _S.PLANNED: frozenset({_S.TOBEPLANNED, _S.UNPLANNABLE, _S.EXECUTING, _S.CANCELLED}),
    _S.UNPLANNABLE: frozenset({_S.TOBEPLANNED, _S.PLANNED, _S.CANCELLED}),
    _S.EXECUTING: frozenset({_S.EXECUTED, _S.FAILED, _S.TOBEPLANNED, _S.CANCELLED}),
    _S.EXECUTED: frozenset(),
    _S.FAILED: frozenset({_S.TOBEPLANNED, _S.CANCELLED}),
    _S.CANCELLED: frozenset(),
}

#: Sequences in these statuses no longer use their program's time.
RELEASED_SEQUENCE_STATUSES = frozenset({_S.CANCELLED, _S.FAILED, _S.UNPLANNABLE})


class InvalidTransition(Exception):
    """A status change the lifecycle does not allow."""


def check_request_transition(current: str, new: str) -> RequestStatus:
    return _check(REQUEST_TRANSITIONS, RequestStatus(current), RequestStatus(new), "request")


def check_sequence_transition(current: str, new: str) -> SequenceStatus:
    return _check(SEQUENCE_TRANSITIONS, SequenceStatus(current), SequenceStatus(new), "sequence")


def _check(table, current, new, what: str):
    if new not in table[current]:
        allowed = ", ".join(sorted(table[current])) or "none: it is final"
        raise InvalidTransition(
            f"a {what} cannot go from {current} to {new} (allowed from {current}: {allowed})"
        )
    return new
