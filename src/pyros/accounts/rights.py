"""The rights matrix of the guide (section 13.12.1.1): per page or action, what each
profile may do: nothing (the page is hidden), read, or act.

Rows the guide leaves blank (most of "Request" and below) are filled with what its
profile descriptions say: observers act on the requests of their own programs, the
PI and the system administrator on all of them.

Two rows are ours: ``observatory.lock`` (LOCK / UNLOCK, the guide's button table gives
it to the Operator) and ``observatory.stop`` (STOP / RESUME the execution, given to
those who may change the operating mode).
"""

from __future__ import annotations

from enum import IntEnum

from pyros.accounts.profiles import ProfileLevel


class Access(IntEnum):
    HIDDEN = 0
    READ = 1
    ACT = 2


H, R, A = Access.HIDDEN, Access.READ, Access.ACT

#: right -> access per profile level 0..7 (Visitor, TAC, Observer, IE/IS, Operator,
#: Superoperator, PI, SysAdmin), as in the guide's table.
MATRIX: dict[str, tuple[Access, ...]] = {
    "weather":               (R, R, R, R, R, R, R, R),
    "observatory":           (R, R, R, R, R, R, R, R),
    "observatory.control":   (H, H, H, R, R, R, R, R),
    "observatory.night_ack": (H, H, H, H, A, H, H, H),
    "observatory.bypass":    (H, H, H, H, A, H, H, H),
    "observatory.mode":      (H, H, H, A, A, A, A, A),
    "observatory.lock":      (H, H, H, H, A, H, H, H),
    "observatory.stop":      (H, H, H, A, A, A, A, A),
    "telescope":             (H, H, R, R, R, R, R, R),
    "telescope.control":     (H, H, H, A, A, A, A, A),
    "cameras":               (H, H, R, R, R, R, R, R),
    "webcams":               (R, R, R, R, R, R, R, R),
    "proposals":             (H, R, R, R, H, R, R, R),
    "proposals.create":      (H, H, A, A, H, A, A, A),
    "proposals.vote":        (H, A, H, H, H, H, H, H),
    "proposals.quota":       (H, H, H, H, H, H, A, A),
    "requests":              (H, H, A, A, H, A, A, A),
    "requests.all":          (H, H, H, R, H, R, A, A),
    "alerts":                (R, R, R, R, R, R, R, R),
    "alerts.strategy":       (H, H, H, H, H, H, A, A),
    "schedule":              (R, R, R, R, R, R, R, R),
    "images":                (H, H, R, R, H, R, R, R),
    "images.all":            (H, H, H, R, H, R, R, R),
    "system":                (H, H, H, R, R, R, R, R),
    "system.command":        (H, H, H, A, A, A, H, A),
    "config":                (H, H, H, H, H, A, H, A),
    "users":                 (H, H, H, H, H, H, A, A),
}


def access(level: ProfileLevel | int, right: str) -> Access:
    """What a profile may do with ``right``; an unknown right is a programming error."""
    try:
        row = MATRIX[right]
    except KeyError:
        raise KeyError(f"unknown right {right!r}; known: {', '.join(sorted(MATRIX))}") from None
    return row[int(level)]
