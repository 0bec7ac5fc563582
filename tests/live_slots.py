"""At most a few whole PyROS at once on the machine, whatever part of the suite runs them.

A test marked ``whole_pyros`` starts PyROS as a user does (``pyros start``: a supervisor,
the web server, every agent a process, the simulators); with four parts of the suite side
by side in two workers each, eight of them at once on two cores made each one slower
than the waits a user would accept, and they failed for it (a start that took over
120 s, a rain closing that came 60 s late). Such a test first takes one of
``PYROS_TEST_WHOLE_SLOTS`` slots (2 by default): an exclusive ``flock`` on one of as many
files in ``PYROS_TEST_SLOTS_DIR`` (set by ``scripts/run-tests`` for the whole run; the
user's temporary directory otherwise). The lock goes with the process, so a killed
worker never keeps its slot. Waiting for a slot is not counted in the test's own waits.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SLOTS_VARIABLE = "PYROS_TEST_WHOLE_SLOTS"
DIR_VARIABLE = "PYROS_TEST_SLOTS_DIR"
DEFAULT_SLOTS = 2
POLL_SECONDS = 0.5


def slots_dir() -> Path:
    configured = os.environ.get(DIR_VARIABLE)
    folder = Path(configured) if configured else \
        Path(tempfile.gettempdir()) / f"pyros-test-slots-{os.getuid()}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def slot_count() -> int:
    text = os.environ.get(SLOTS_VARIABLE, str(DEFAULT_SLOTS))
    try:
        count = int(text)
    except ValueError:
        raise ValueError(f"{SLOTS_VARIABLE}={text!r} is not a whole number") from None
    if count < 1:
        raise ValueError(f"{SLOTS_VARIABLE}={count}: at least one slot")
    return count


@contextmanager
def whole_pyros_slot() -> Iterator[int]:
    """Hold one slot (its number) while the block runs."""
    folder, count = slots_dir(), slot_count()
    files = [open(folder / f"slot-{n}.lock", "a+") for n in range(count)]  # noqa: SIM115
    try:
        while True:
            for number, handle in enumerate(files):
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                try:
                    yield number
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
                return
            time.sleep(POLL_SECONDS)
    finally:
        for handle in files:
            handle.close()
