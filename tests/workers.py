"""Each test process on its own: when pytest-xdist runs the suite in several workers, and
when ``scripts/run-tests`` runs the databases side by side, no two processes share a data
directory or a port.

- ``PYROS_HOME``: each worker gets a folder of its own under the run's (agents' pid
  files, logs, images); pytest-django gives each worker its own test database.
- ``PYROS_PORT_RANGE`` (see :mod:`pyros.ports`): the run's range, 20000–29999 unless
  the runner gives one, is cut into one slice per worker, so the simulators, brokers and
  servers that tests start never meet, and never sit on the usual ports (5000–5005,
  8000) of a PyROS that may be running on the same machine.
- ``PYROS_START_WAIT``: `pyros start` in a test waits up to two minutes for its agents,
  not the 30 s a person is given, as four parts of the suite share two cores.
- ``PYROS_TEST_ROTATE`` (``k/n``, set by ``scripts/run-tests``): the part runs its tests
  from the k-th n-th of the list on, wrapping around, so that the three database parts
  do not start their heaviest tests (whole nights with every agent a process) at the
  same moment on the same two cores.

This runs when the root conftest is imported, before any test, and after pytest-django
has read the settings (the run's ``PYROS_HOME`` still holds the secret key and the
SQLite test databases, whose names xdist suffixes per worker).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from pyros.ports import RANGE_VARIABLE, port_range

DEFAULT_PORTS = "20000-29999"
START_WAIT_VARIABLE = "PYROS_START_WAIT"
GENEROUS_START_WAIT = "120"


def worker_index() -> tuple[int, int]:
    """(this worker's index, the number of workers); (0, 1) without xdist."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    match = re.fullmatch(r"gw(\d+)", name)
    if not match:
        return 0, 1
    return int(match.group(1)), int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))


def worker_ports(ports: range, index: int, count: int) -> str:
    size = len(ports) // count
    if size < 50:
        raise ValueError(f"{RANGE_VARIABLE} has {len(ports)} ports: too few for {count} "
                         "workers (50 each at least)")
    low = ports.start + index * size
    return f"{low}-{low + size - 1}"


def isolate_this_worker() -> None:
    index, count = worker_index()
    os.environ.setdefault(RANGE_VARIABLE, DEFAULT_PORTS)
    os.environ.setdefault(START_WAIT_VARIABLE, GENEROUS_START_WAIT)
    os.environ[RANGE_VARIABLE] = worker_ports(port_range() or range(0), index, count)
    if count > 1 or not os.environ.get("PYROS_HOME"):
        run_home = os.environ.get("PYROS_HOME") or tempfile.mkdtemp(prefix="pyros-tests-")
        home = Path(run_home) / f"worker-{index}"
        home.mkdir(parents=True, exist_ok=True)
        os.environ["PYROS_HOME"] = str(home)


ROTATE_VARIABLE = "PYROS_TEST_ROTATE"


def rotated(items: list) -> list:
    """``items`` begun at the share ``PYROS_TEST_ROTATE`` names (the same order in every
    worker, as pytest-xdist requires)."""
    match = re.fullmatch(r"(\d+)/(\d+)", os.environ.get(ROTATE_VARIABLE, ""))
    if not match or not items or int(match.group(2)) <= 0:
        return items
    start = len(items) * int(match.group(1)) // int(match.group(2)) % len(items)
    return items[start:] + items[:start]
