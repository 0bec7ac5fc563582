"""What a running command's handler receives: who sent it, and a way to notice that it
was aborted or timed out (Python threads cannot be killed; handlers cooperate)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


class CommandFailed(Exception):
    """A handler's way to fail a command with a message meant for the sender, verbatim
    and without a traceback in the log (an expected refusal, not a bug)."""


class CommandAborted(Exception):
    """Raised inside a handler whose command was aborted or timed out."""


@dataclass
class CommandContext:
    command_id: int
    sender: str
    name: str
    _cancelled: threading.Event = field(default_factory=threading.Event)
    reason: str = ""

    def cancel(self, reason: str) -> None:
        self.reason = reason
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def check(self) -> None:
        """Raise CommandAborted if the command should stop."""
        if self._cancelled.is_set():
            raise CommandAborted(self.reason)

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of wall time, or less if the command is stopped meanwhile."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if self._cancelled.wait(left):
                raise CommandAborted(self.reason)
