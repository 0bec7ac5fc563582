"""Sending, claiming and finishing commands: the command bus is the database.

Every state change is a conditional UPDATE (``... WHERE state = <expected>``), so two
agents never claim the same command and a late finisher never overwrites a command
that was killed or timed out meanwhile: exactly one writer wins each transition. Each
change is one statement in autocommit; on PostgreSQL a trigger turns it into a
notification (notify.py).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Q

from pyros import clock
from pyros.agents.models import Command
from pyros.agents.notify import results_waiter
from pyros.agents.states import FINAL_STATES, GENERIC_COMMANDS, CommandState

DEFAULT_VALIDITY = 60.0  # seconds a command may wait to be read
DEFAULT_TIMEOUT = 30.0  # seconds it may run


class CommandError(Exception):
    """A command that could not be sent (bad name or arguments)."""


def wall_validity(seconds: float) -> float:
    """A validity of ``seconds`` of wall time, in the seconds of the clock that a
    command's validity counts in. Agents that wake each other mean "the reader has this
    long", which on a simulated clock at 60× is sixty times more of the clock's seconds:
    unscaled, an alert's ``insert_now`` of 10 s expired before a busy scheduler read it."""
    return seconds * clock.pace()


def send_command(recipient: str, name: str, *, sender: str = "cli",
                 validity: float = DEFAULT_VALIDITY, timeout: float = DEFAULT_TIMEOUT,
                 **args: Any) -> CommandHandle:
    """Queue a command for ``recipient``; return a handle to wait for its result."""
    if not recipient or not name:
        raise CommandError("a command needs a recipient and a name")
    sender = sender[:MAX_NAME]  # who sent it is for the record: a long username is cut
    for field, value in (("recipient", recipient), ("name", name)):
        if not isinstance(value, str) or not value.isprintable():
            raise CommandError(f"{field}: not a printable name")
        if len(value) > MAX_NAME:
            raise CommandError(f"{field}: longer than {MAX_NAME} characters")
    if not (0 < validity <= MAX_SECONDS and 0 < timeout <= MAX_SECONDS):
        raise CommandError(f"validity and timeout must be positive, at most {MAX_SECONDS:g} s")
    check_args(args)
    now = clock.now()
    command = Command.objects.create(
        sender=sender, recipient=recipient, name=name, args=args, created_at=now,
        expires_at=now + timedelta(seconds=validity), timeout=timeout)
    return CommandHandle(command)


MAX_ARGS_DEPTH = 20
#: The longest recipient or command name (their columns' size).
MAX_NAME = 100
#: The longest validity or timeout: a week. Past it a date overflows nothing yet, but no
#: command is meant to wait or run that long.
MAX_SECONDS = 7 * 86_400.0
MAX_ARGS_CHARACTERS = 65_536


def check_args(args: Any) -> None:
    """Arguments a command can carry: JSON that every database stores and every reader
    takes back. 1e400 (infinite once parsed) broke PostgreSQL's JSON and an agent;
    a lone surrogate cannot be written as UTF-8 and a NUL not stored by PostgreSQL;
    deep or huge arguments are refused before they cost anyone anything. CommandError says which."""

    def visit(value: Any, where: str, depth: int) -> None:
        if depth > MAX_ARGS_DEPTH:
            raise CommandError(f"{where}: nested deeper than {MAX_ARGS_DEPTH} levels")
        if isinstance(value, float) and not math.isfinite(value):
            raise CommandError(f"{where}: {value} is not a finite number")
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise CommandError(f"{where}: not valid text (a lone surrogate)") from None
            if "\x00" in value:  # PostgreSQL's JSON cannot hold U+0000
                raise CommandError(f"{where}: not valid text (a NUL character)")
        elif isinstance(value, dict):
            for key, item in value.items():
                visit(str(key), f"{where} key", depth + 1)
                visit(item, f"{where}.{key}", depth + 1)
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                visit(item, f"{where}[{index}]", depth + 1)
        elif value is not None and not isinstance(value, bool | int | float):
            raise CommandError(f"{where}: {type(value).__name__} is not a JSON value")

    visit(args, "args", 0)
    if len(json.dumps(args, ensure_ascii=False)) > MAX_ARGS_CHARACTERS:
        raise CommandError(f"args: longer than {MAX_ARGS_CHARACTERS} characters as JSON")


@dataclass
class CommandHandle:
    """What a sender holds: the command as last read, and a way to wait for its end."""

    command: Command

    @property
    def id(self) -> int:
        return self.command.pk

    @property
    def state(self) -> CommandState:
        return CommandState(self.command.state)

    @property
    def done(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def result(self) -> Any:
        return self.command.result

    @property
    def error(self) -> str:
        return self.command.error

    def refresh(self) -> CommandHandle:
        self.command.refresh_from_db()
        return self

    def wait(self, timeout: float) -> CommandHandle:
        """Wait up to ``timeout`` seconds for the command to end. A command still PENDING
        past its validity is marked EXPIRED here: the sender may give up on it too."""
        deadline = time.monotonic() + timeout
        waiter = results_waiter()
        wanted = {str(self.id)}
        while True:
            self.refresh()
            if self.done:
                return self
            if self.state == CommandState.PENDING and expire_one(self.command):
                return self.refresh()
            left = deadline - time.monotonic()
            if left <= 0:
                return self
            waiter.wait(left, wanted)


def _end(command_id: int, expected: CommandState | list[CommandState], state: CommandState,
         *, result: Any = None, error: str = "", now: datetime | None = None) -> bool:
    expected_states = [expected] if isinstance(expected, CommandState) else expected
    changed = Command.objects.filter(pk=command_id, state__in=expected_states).update(
        state=state, result=result, error=error[:10_000], ended_at=now or clock.now())
    return bool(changed)


def expire_one(command: Command) -> bool:
    now = clock.now()
    if command.expires_at > now:
        return False
    return _end(command.pk, CommandState.PENDING, CommandState.EXPIRED,
                error="nobody read it within its validity", now=now)


def expire_pending(recipient: str) -> int:
    """Mark EXPIRED the commands for ``recipient`` that waited past their validity."""
    now = clock.now()
    stale = list(Command.objects.filter(recipient=recipient, state=CommandState.PENDING,
                                        expires_at__lte=now).values_list("pk", flat=True))
    return sum(_end(pk, CommandState.PENDING, CommandState.EXPIRED,
                    error="nobody read it within its validity", now=now) for pk in stale)


def claim_next(recipient: str, executor: str, *, generic_only: bool = False) -> Command | None:
    """Take the oldest pending command for ``recipient``, generic ones first (so that an
    abort is never stuck behind the commands it is meant to stop). None when there is
    nothing to do."""
    if _update_returning_supported():
        return _claim_returning(recipient, executor, generic_only)
    pending = Command.objects.filter(recipient=recipient, state=CommandState.PENDING,
                                     expires_at__gt=clock.now())
    generic = Q(name__in=GENERIC_COMMANDS)
    queries = [pending.filter(generic)] if generic_only else [pending.filter(generic), pending]
    for query in queries:
        for pk in query.order_by("id").values_list("pk", flat=True)[:10]:
            now = clock.now()
            if Command.objects.filter(pk=pk, state=CommandState.PENDING).update(
                    state=CommandState.RUNNING, read_at=now, started_at=now,
                    executor=executor):
                return Command.objects.get(pk=pk)
    return None


def _update_returning_supported() -> bool:
    if connection.vendor == "postgresql":
        return True
    if connection.vendor == "sqlite":
        import sqlite3

        return sqlite3.sqlite_version_info >= (3, 35)
    return False  # MariaDB has no UPDATE ... RETURNING


def _claim_returning(recipient: str, executor: str, generic_only: bool) -> Command | None:
    """The claim in one statement (PostgreSQL, SQLite): pick and take the row, and read
    it back. SKIP LOCKED lets concurrent claimers on PostgreSQL pass each other."""
    table = Command._meta.db_table
    names = ", ".join(["%s"] * len(GENERIC_COMMANDS))
    only = f"AND name IN ({names})" if generic_only else ""
    lock = "FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    columns = ", ".join(f.column for f in Command._meta.concrete_fields)
    sql = f"""
        UPDATE {table} SET state = %s, read_at = %s, started_at = %s, executor = %s
        WHERE state = %s AND id = (
            SELECT id FROM {table}
            WHERE recipient = %s AND state = %s AND expires_at > %s {only}
            ORDER BY CASE WHEN name IN ({names}) THEN 0 ELSE 1 END, id
            LIMIT 1 {lock})
        RETURNING {columns}"""
    now = clock.now()
    generic = sorted(GENERIC_COMMANDS)
    params = [CommandState.RUNNING.value, now, now, executor, CommandState.PENDING.value,
              recipient, CommandState.PENDING.value, now,
              *(generic if generic_only else []), *generic]
    for _ in range(3):  # lost a race with another claimer: look again
        claimed = list(Command.objects.raw(sql, params))
        if claimed:
            return claimed[0]
        if not Command.objects.filter(recipient=recipient, state=CommandState.PENDING,
                                      expires_at__gt=now).exists():
            return None
    return None


def finish(command: Command, state: CommandState, *, result: Any = None,
           error: str = "") -> bool:
    """End a RUNNING command; False if someone else ended it first (abort, timeout)."""
    return _end(command.pk, CommandState.RUNNING, state, result=result, error=error)


def end_pending(command: Command, state: CommandState, error: str) -> bool:
    """End a command that never ran (SKIPPED, EXPIRED)."""
    return _end(command.pk, [CommandState.PENDING, CommandState.RUNNING], state, error=error)


def skip_pending(recipient: str, reason: str, *, sender: str | None = None,
                 before_id: int | None = None, specific_only: bool = False) -> list[int]:
    """SKIP the pending commands of ``recipient`` (optionally only those of ``sender``,
    created before ``before_id``, or not generic); return their ids."""
    query = Command.objects.filter(recipient=recipient, state=CommandState.PENDING)
    if sender is not None:
        query = query.filter(sender=sender)
    if before_id is not None:
        query = query.filter(pk__lt=before_id)
    if specific_only:
        query = query.exclude(name__in=GENERIC_COMMANDS)
    ids = list(query.values_list("pk", flat=True))
    return [pk for pk in ids if _end(pk, CommandState.PENDING, CommandState.SKIPPED,
                                     error=reason)]


def kill_running(recipient: str, executor_prefix: str, reason: str) -> list[int]:
    """End as KILLED the RUNNING commands of a dead incarnation of an agent."""
    ids = list(Command.objects.filter(recipient=recipient, state=CommandState.RUNNING,
                                      executor__startswith=executor_prefix)
               .values_list("pk", flat=True))
    return [pk for pk in ids if _end(pk, CommandState.RUNNING, CommandState.KILLED,
                                     error=reason)]
