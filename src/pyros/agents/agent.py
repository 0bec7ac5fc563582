"""The agent base class: a main loop that beats, does routine work, and executes the
commands addressed to it.

Generic commands (states.GENERIC_COMMANDS) run at once in the main loop, even while a
specific command is running and even in IDLE mode. Specific commands are the methods
marked ``@command``; they run one at a time in the agent's worker thread, so that the
loop keeps beating and can abort them or time them out. In IDLE mode specific commands are SKIPPED.

abort stops the running specific command (KILLED) and SKIPs the specific commands the
same sender queued before the abort: a sender who aborts means "stop what I asked for",
and work it queued behind would otherwise start the moment the abort is done (the
question the original guide left open). Other senders' commands are kept.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError, close_old_connections, connection
from pydantic import ValidationError

from pyros import clock
from pyros.agents import bus
from pyros.agents.context import CommandAborted, CommandContext, CommandFailed
from pyros.agents.generic import GenericCommands
from pyros.agents.models import AgentSurvey, Command
from pyros.agents.notify import COMMANDS_CHANNEL, Waiter, wake
from pyros.agents.schema import (
    COMMAND_FLAG,
    BadArguments,
    CommandSpec,
    command_specs,
)
from pyros.agents.states import AgentMode, CommandState


def command(method: Callable) -> Callable:
    """Mark an agent method as a specific command. Its typed parameters are its
    arguments' schema (agents.schema), checked before it runs."""
    setattr(method, COMMAND_FLAG, True)
    return method


class Agent(GenericCommands):
    #: Seconds between two runs of routine().
    routine_period = 1.0
    #: Seconds between two heartbeats; a beat is valid for ``beat_validity`` seconds.
    beat_period = 1.0
    beat_validity = 5.0
    #: Seconds a running command gets to notice it was stopped when the agent exits.
    stop_grace = 5.0
    #: Exceptions a specific command may end with as a plain refusal: FAILED with their
    #: message verbatim, a one-line warning in the log (others are bugs: traceback).
    expected_errors: tuple[type[Exception], ...] = ()
    #: Configuration sections (top-level keys of the unit file) this agent captured at
    #: its start in a way reload_config cannot redo: a change in one of them needs a
    #: restart. ``database`` is in every process's Django settings.
    restart_sections: frozenset[str] = frozenset({"database"})

    def __init__(self, name: str, computer: str = "localhost") -> None:
        self.name = name
        self.computer = computer
        self.pid = os.getpid()
        self.executor_prefix = f"{name}@{computer}:"
        self.executor = f"{self.executor_prefix}{self.pid}"
        self.log = logging.getLogger(f"pyros.agent.{name}")
        self.mode = AgentMode.ACTIVE
        self.status = "STARTING"
        self.iteration = 0
        self.exit_code = 0
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._jobs: queue.Queue = queue.Queue()
        self._worker = threading.Thread(target=self._work, name=f"{name}-worker", daemon=True)
        self._running: tuple[Command, CommandContext, float] | None = None
        self._started_at = clock.now()
        #: Every command's schema; a handler that declares none fails here, at start.
        self._specs: dict[str, CommandSpec] = command_specs(type(self))
        # Bound from the class, so that an instance attribute of the same name (the
        # ``status`` line) cannot hide a command.
        self._handlers = {
            name: getattr(type(self), (f"generic_{name}" if spec.generic else name))
            .__get__(self) for name, spec in self._specs.items()
        }

    # --- hooks for subclasses ----------------------------------------------------------

    def init(self) -> None:
        """(Re)initialise: at start and on restart_init."""

    def routine(self) -> None:
        """The routine work, every ``routine_period`` seconds, in ACTIVE and IDLE mode."""

    def describe(self) -> dict[str, Any]:
        """Extra fields for get_status."""
        return {}

    def config_reloaded(self, changed: set[str]) -> None:
        """After reload_config took a new configuration: redo what was built from the
        ``changed`` sections (the rest is read through ``active_config()`` at each use)."""

    # --- life --------------------------------------------------------------------------

    def stop(self, code: int = 0) -> None:
        self.exit_code = code
        self._stopping.set()

    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda s, f: self.stop(0))

    def run(self) -> int:
        """The main loop; returns the exit code."""
        if not self._start_when_reachable():
            return self.exit_code
        next_routine = next_beat = time.monotonic()
        failures = 0
        wanted = {self.name}
        with Waiter(COMMANDS_CHANNEL) as waiter:
            while not self._stopping.is_set():
                try:
                    now = time.monotonic()
                    if now >= next_routine:
                        self._routine()
                        next_routine = now + self.routine_period
                    if now >= next_beat:
                        self._beat()
                        next_beat = now + self.beat_period
                    self._watch_worker()
                    if self._take_one_command():
                        failures = 0
                        continue
                    failures = 0
                    wake_at = min(next_routine, next_beat, self._worker_deadline())
                    waiter.wait(max(0.0, wake_at - time.monotonic()), wanted)
                except DatabaseError as exc:
                    failures += 1
                    self.log.error("database error (%d in a row): %s", failures, exc)
                    connection.close()
                    self._stopping.wait(min(0.1 * 2 ** failures, 5.0))
        self._shutdown()
        return self.exit_code

    def _start_when_reachable(self) -> bool:
        """Start, trying again while the database cannot be reached (a cut link, a
        restarting server) rather than dying: a dead agent is restarted with a back-off
        of up to 30 s, this one starts the moment the database answers. False when
        stopped before it could start."""
        failures = 0
        while not self._stopping.is_set():
            try:
                self._start()
                return True
            except DatabaseError as exc:
                failures += 1
                self.log.error("cannot start: database error (%d in a row): %s", failures, exc)
                connection.close()
                self._stopping.wait(min(0.1 * 2 ** failures, 5.0))
        return False

    def _start(self) -> None:
        now = clock.now()
        killed = bus.kill_running(self.name, self.executor_prefix,
                                  "the agent died while executing it; restarted as pid "
                                  f"{self.pid}")
        if killed:
            self.log.warning("previous incarnation died while running commands %s: KILLED",
                             killed)
        AgentSurvey.objects.update_or_create(
            name=self.name, computer=self.computer,
            defaults={"pid": self.pid, "mode": self.mode, "status": "STARTING",
                      "iteration": 0, "started_at": now, "last_beat": now,
                      "validity": self.beat_validity, "current_command": None})
        self.init()
        self.status = "RUNNING"
        self._worker.start()
        self.log.info("started (pid %d on %s)", self.pid, self.computer)

    def _shutdown(self) -> None:
        with self._lock:
            running = self._running
        if running is not None:
            cmd, ctx, _ = running
            ctx.cancel("the agent is stopping")
            bus.finish(cmd, CommandState.KILLED, error="the agent stopped while running it")
        self._jobs.put(None)
        self._worker.join(self.stop_grace)
        self.status = "STOPPED"
        try:
            self._beat()
        except DatabaseError as exc:
            self.log.error("could not record the stop: %s", exc)
        self.log.info("stopped (exit code %d)", self.exit_code)
        close_old_connections()

    def _routine(self) -> None:
        try:
            self.routine()
        except DatabaseError:
            raise
        except Exception:
            self.log.exception("routine work failed; the agent goes on")
        self.iteration += 1

    def _beat(self) -> None:
        with self._lock:
            current = self._running[0].pk if self._running else None
        AgentSurvey.objects.filter(name=self.name, computer=self.computer).update(
            pid=self.pid, mode=self.mode, status=self.status[:100], iteration=self.iteration,
            last_beat=clock.now(), current_command=current, validity=self.beat_validity)

    # --- commands ----------------------------------------------------------------------

    def _take_one_command(self) -> bool:
        with self._lock:
            busy = self._running is not None
        cmd = bus.claim_next(self.name, self.executor, generic_only=busy)
        if cmd is None:
            return False
        spec = self._specs.get(cmd.name)
        if spec is None:
            specific = sorted(n for n, s in self._specs.items() if not s.generic)
            generic = sorted(n for n, s in self._specs.items() if s.generic)
            bus.finish(cmd, CommandState.FAILED,
                       error=f"{self.name} has no command '{cmd.name[:100]}' (specific "
                             f"commands: {', '.join(specific) or 'none'}; generic: "
                             f"{', '.join(generic)})")
            return True
        if not spec.generic and self.mode == AgentMode.IDLE:
            bus.finish(cmd, CommandState.SKIPPED, error=f"{self.name} is IDLE: only generic "
                                                        "commands run")
            return True
        try:
            args = spec.validate(cmd.args)
        except BadArguments as exc:
            self.log.warning("command #%d from %s refused: %s", cmd.pk, cmd.sender, exc)
            bus.finish(cmd, CommandState.FAILED, error=str(exc))
            return True
        if spec.generic:
            self._run_inline(cmd, self._handlers[cmd.name], args)
        else:
            self._start_worker(cmd, args)
        return True

    def _run_inline(self, cmd: Command, handler: Callable, args: dict[str, Any]) -> None:
        try:
            result = handler(cmd, **args)
        except (TypeError, ValidationError, ValueError) as exc:
            bus.finish(cmd, CommandState.FAILED, error=_describe(cmd.name, exc))
            return
        except DatabaseError:
            raise  # the loop's own recovery: reconnect, then go on
        except Exception as exc:  # a bad argument must cost the command, never the agent
            self.log.exception("generic command #%d %s failed", cmd.pk, cmd.name)
            bus.finish(cmd, CommandState.FAILED, error=f"{type(exc).__name__}: {exc}")
            return
        bus.finish(cmd, CommandState.EXECUTED, result=result)

    def _start_worker(self, cmd: Command, args: dict[str, Any]) -> None:
        ctx = CommandContext(cmd.pk, cmd.sender, cmd.name)
        with self._lock:
            self._running = (cmd, ctx, time.monotonic() + cmd.timeout)
            self.status = f"RUNNING {cmd.name}"
        self._jobs.put((cmd, ctx, args))

    def _work(self) -> None:
        """The worker thread: runs specific commands one after the other, on a database
        connection of its own that it keeps."""
        while (job := self._jobs.get()) is not None:
            cmd, ctx, args = job
            try:
                result = self._handlers[cmd.name](ctx, **args)
                bus.finish(cmd, CommandState.EXECUTED, result=result)
            except CommandAborted:
                pass  # whoever stopped it has already ended the command
            except ValidationError as exc:
                bus.finish(cmd, CommandState.FAILED, error=_describe(cmd.name, exc))
            except (CommandFailed, *self.expected_errors) as exc:
                self.log.warning("command #%d %s failed: %s", cmd.pk, cmd.name, exc)
                bus.finish(cmd, CommandState.FAILED, error=str(exc))
            except DatabaseError as exc:
                self.log.error("command #%d %s: database error: %s", cmd.pk, cmd.name, exc)
                connection.close()
                bus.finish(cmd, CommandState.FAILED, error=f"database error: {exc}")
            except Exception as exc:
                self.log.exception("command #%d %s failed", cmd.pk, cmd.name)
                bus.finish(cmd, CommandState.FAILED, error=f"{type(exc).__name__}: {exc}")
            finally:
                with self._lock:
                    self._running = None
                    self.status = "RUNNING"
                wake(self.name)
        connection.close()

    def _worker_deadline(self) -> float:
        with self._lock:
            return self._running[2] if self._running else float("inf")

    def _watch_worker(self) -> None:
        """Time out a command that runs too long. Its handler may go on until it notices;
        no other specific command starts before it has."""
        with self._lock:
            running = self._running
        if running is not None:
            cmd, ctx, deadline = running
            if time.monotonic() >= deadline and not ctx.cancelled:
                ctx.cancel(f"ran longer than its timeout of {cmd.timeout:g} s")
                bus.finish(cmd, CommandState.TIMEOUT, error=ctx.reason)
                self.log.warning("command #%d %s timed out", cmd.pk, cmd.name)


def _describe(name: str, exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        details = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                            for e in exc.errors())
        return f"bad arguments for {name}: {details}"
    if isinstance(exc, TypeError):
        return f"bad arguments for {name}: {exc}"
    return str(exc)
