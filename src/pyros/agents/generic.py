"""The generic commands every agent answers (states.GENERIC_COMMANDS and the
``generic_*`` methods agents add): the part of ``Agent`` that runs in its main loop, at
once, even in IDLE mode and while a specific command runs. Their typed parameters are
their arguments' schema (agents.schema), checked before they run."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BeforeValidator, Field

from pyros import clock
from pyros.agents import bus
from pyros.agents.calc import MAX_LENGTH, CalcError, calculate
from pyros.agents.models import Command
from pyros.agents.states import AgentMode, CommandState

if TYPE_CHECKING:
    import logging
    import threading

    from pyros.agents.context import CommandContext

#: An agent's mode as a command gives it: any case.
ModeName = Annotated[AgentMode, BeforeValidator(
    lambda value: value.upper() if isinstance(value, str) else value)]
CalcExpression = Annotated[str, Field(max_length=MAX_LENGTH)]


class GenericCommands:
    """Mixed into ``Agent``, whose state these commands read and change."""

    name: str
    computer: str
    pid: int
    mode: AgentMode
    status: str
    iteration: int
    log: logging.Logger
    restart_sections: frozenset[str]
    _lock: threading.Lock
    _running: tuple[Command, CommandContext, float] | None
    _started_at: datetime
    # Agent's own methods, used here.
    stop: Callable[..., None]
    init: Callable[[], None]
    describe: Callable[[], dict[str, Any]]
    config_reloaded: Callable[[set[str]], None]

    def generic_ping(self, cmd: Command) -> dict[str, Any]:
        """Answer at once: the agent reads its commands."""
        return {"pong": _iso(clock.now()), "agent": self.name, "pid": self.pid}

    def generic_get_status(self, cmd: Command) -> dict[str, Any]:
        """Mode, status line, iteration, running command, and the agent's own fields."""
        with self._lock:
            running = self._running[0] if self._running else None
        return {"agent": self.name, "computer": self.computer, "pid": self.pid,
                "mode": self.mode.value, "status": self.status, "iteration": self.iteration,
                "started_at": _iso(self._started_at),
                "running_command": running.pk if running else None, **self.describe()}

    def generic_get_mode(self, cmd: Command) -> str:
        """ACTIVE or IDLE."""
        return self.mode.value

    def generic_set_mode(self, cmd: Command, mode: ModeName) -> str:
        """ACTIVE (every command runs) or IDLE (only generic ones; specific: SKIPPED)."""
        self.mode = mode
        self.log.info("mode set to %s by %s", self.mode, cmd.sender)
        return self.mode.value

    def generic_abort(self, cmd: Command) -> dict[str, Any]:
        """Kill the running specific command; skip those the same sender queued before."""
        aborted = None
        with self._lock:
            current = self._running
        if current is not None:
            running, ctx, _ = current
            ctx.cancel(f"aborted by {cmd.sender} (command #{cmd.pk})")
            if bus.finish(running, CommandState.KILLED, error=ctx.reason):
                aborted = running.pk
        skipped = bus.skip_pending(self.name, f"dropped by the abort #{cmd.pk} of its sender",
                                   sender=cmd.sender, before_id=cmd.pk, specific_only=True)
        self.log.info("abort from %s: killed %s, skipped %s", cmd.sender, aborted, skipped)
        return {"aborted": aborted, "skipped": skipped}

    def generic_flush(self, cmd: Command) -> dict[str, Any]:
        """Skip every pending command queued before this one."""
        skipped = bus.skip_pending(self.name, f"flushed by {cmd.sender} (command #{cmd.pk})",
                                   before_id=cmd.pk)
        return {"skipped": skipped}

    def generic_exit(self, cmd: Command) -> str:
        """Stop the agent; it exits with code 0, which the supervisor does not restart."""
        self.log.info("exit asked by %s", cmd.sender)
        self.stop(0)
        return "exiting"

    def generic_restart_init(self, cmd: Command) -> str:
        """Run the agent's initialisation again."""
        self.init()
        self.log.info("re-initialised at the request of %s", cmd.sender)
        return "initialised"

    def generic_reload_config(self, cmd: Command) -> dict[str, Any]:
        """Take the configuration file as it is now, unless it changed a section in
        ``restart_sections``: then nothing is taken (half a new configuration would be
        worse than the old one) and the answer says which sections need a restart."""
        from pyros import paths
        from pyros.config.editing import changed_sections
        from pyros.config.loader import (
            ConfigError,
            active_config,
            load_config,
            reload_active_config,
        )

        try:
            new = load_config(paths.config_path())
        except ConfigError as exc:
            raise ValueError(f"configuration not reloaded: {exc}") from exc
        changed = changed_sections(active_config(), new)
        blocking = sorted(changed & self.restart_sections)
        if blocking:
            self.log.warning("configuration changed in %s: needs a restart (asked by %s)",
                             ", ".join(blocking), cmd.sender)
            return {"reloaded": False, "changed": sorted(changed), "restart_for": blocking}
        reload_active_config()
        if changed:
            self.config_reloaded(changed)
        self.log.info("configuration reloaded (changed: %s) at the request of %s",
                      ", ".join(sorted(changed)) or "nothing", cmd.sender)
        return {"reloaded": True, "changed": sorted(changed), "restart_for": []}

    def generic_calc(self, cmd: Command, expression: CalcExpression) -> int | float:
        """Plain arithmetic, bounded (agents.calc): a test of the command path."""
        try:
            return calculate(expression)
        except CalcError as exc:
            raise ValueError(str(exc)) from exc

def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
