"""What every Alpaca device does: connect its driver once (and again whenever the server
says it is not connected), wait on a condition by polling, and end such a wait at once
when this object's ``abort()`` is called from another thread."""

from __future__ import annotations

import time
from collections.abc import Callable

from pyros.devices.alpaca.client import AlpacaLink
from pyros.devices.errors import DeviceError, DeviceTimeout, MotionAborted

#: Seconds between polls while a motion or an exposure runs: well within the
#: interfaces' promise that an abort ends a wait within ~0.2 s.
POLL = 0.1


class Deadline:
    def __init__(self, timeout: float) -> None:
        self._end = time.monotonic() + timeout

    def left(self) -> float:
        """Seconds left, never less than a short grace for one more exchange."""
        return max(self._end - time.monotonic(), 0.5)

    @property
    def over(self) -> bool:
        return time.monotonic() > self._end


class AlpacaDevice:
    """Mixed into each interface's class; ``_setup`` runs after every connection."""

    name: str

    def _init_link(self, link: AlpacaLink) -> None:
        self.link = link
        link.on_connect = self._setup
        self._aborts = 0  # abort orders sent: a wait that saw this change was aborted

    def connect(self, timeout: float = 10.0) -> None:
        self.link.connect(timeout)

    def _setup(self, timeout: float) -> None:
        """What the device needs to know after each (re)connection."""

    def _count_abort(self) -> None:
        """Counted before the order goes out: the stop it causes ends a waiting call
        only after the count has changed."""
        self._aborts += 1

    def _wait(self, done: Callable[[], bool], timeout: float, what: str, started: int,
              aborted: type[DeviceError] = MotionAborted) -> None:
        """Poll ``done`` until true. ``aborted`` if abort() was called since ``started``
        (the abort count when the action began): a motion stopped by an abort is also
        "done", and must not pass for arrived; an error the stop causes (a shutter
        stopped half-way reports an error) is the abort too."""
        deadline = Deadline(timeout)
        while True:
            if self._aborts != started:
                raise aborted(self.name, f"{what} was aborted before it finished")
            try:
                finished = done()
            except DeviceError as error:  # the device stopping because of our abort
                if self._aborts == started:
                    raise
                raise aborted(self.name, f"{what} was aborted before it finished") from error
            if finished:
                if self._aborts != started:
                    raise aborted(self.name, f"{what} was aborted before it finished")
                return
            if deadline.over:
                raise DeviceTimeout(self.name, f"{what} not finished within {timeout:g} s")
            time.sleep(POLL)
