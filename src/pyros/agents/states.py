"""Agent modes and the lifecycle of a command (plain Python).

A command is PENDING until an agent claims it (RUNNING), then ends EXECUTED or FAILED.
It can also end without running: EXPIRED (nobody read it within its validity), SKIPPED
(its agent was IDLE, or it was flushed, or it was dropped by an abort), and a running
one KILLED (aborted, or its agent died) or TIMEOUT (it ran past its execution timeout).
"""

from __future__ import annotations

from enum import StrEnum


class AgentMode(StrEnum):
    ACTIVE = "ACTIVE"
    IDLE = "IDLE"


class CommandState(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    EXECUTED = "EXECUTED"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"
    SKIPPED = "SKIPPED"
    KILLED = "KILLED"
    TIMEOUT = "TIMEOUT"


FINAL_STATES = frozenset(set(CommandState) - {CommandState.PENDING, CommandState.RUNNING})
#: States a sender treats as failure (the CLI exits non-zero on them).
FAILURE_STATES = frozenset(FINAL_STATES - {CommandState.EXECUTED})

#: Commands every agent understands; they run even in IDLE mode, at once, and even
#: while a specific command is running.
GENERIC_COMMANDS = frozenset({
    "get_status", "get_mode", "set_mode", "abort", "flush", "exit", "restart_init", "ping",
    "calc", "reload_config",
})
