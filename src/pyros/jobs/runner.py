"""The job runner: runs queued jobs, at most ``[web] job_workers`` at once, in a thread
pool of its own process, started by the supervisor where the web server runs.

A process apart from gunicorn so that a job's computation (CP-SAT and numpy release the
GIL, but not all of it) never competes with the threads serving pages in the same
interpreter, and so that gunicorn's request timeout never applies to it. Threads rather
than processes inside it: the jobs are few and bounded, and share one Django setup.

    python -m pyros.jobs.runner [--slots N]
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

POLL = 0.2  # seconds between two looks for queued jobs
PRUNE_EVERY = 600.0

log = logging.getLogger("pyros.jobs")


def execute(pk: int, kind: str, params: dict) -> None:
    """Run one claimed job to its end, DONE or FAILED with a message."""
    from pyros.jobs import store
    from pyros.jobs.kinds import JobError, function_of

    try:
        result = function_of(kind)(params)
    except JobError as exc:
        store.fail(pk, str(exc))
    except Exception as exc:  # a bug in the work: the job fails, the runner lives
        log.exception("job #%s (%s) failed", pk, kind)
        store.fail(pk, f"internal error ({type(exc).__name__}); the runner's log "
                       "(logs/jobs.log) has the details")
    else:
        store.finish(pk, result)


def run_queued() -> int:
    """Run every queued job here, one after the other: for tests and ``pyros bench``."""
    from pyros.jobs import store

    count = 0
    while (job := store.claim_next()) is not None:
        execute(job.pk, job.kind, job.params)
        count += 1
    return count


class Runner:
    def __init__(self, slots: int) -> None:
        self.slots = slots
        self.pool = ThreadPoolExecutor(slots, thread_name_prefix="job")
        self.running: set[Future] = set()
        self.next_prune = 0.0

    def run(self, stopping: threading.Event) -> None:
        from pyros.jobs import store

        store.fail_running("the job runner stopped while this job ran: submit it again")
        while not stopping.is_set():
            try:
                self.step()
            except Exception as exc:  # the database down: wait for it, do not die
                log.warning("cannot look for jobs: %s", exc)
                from django.db import connection

                connection.close()
            stopping.wait(POLL)
        store.fail_running("the job runner was stopped while this job ran: submit it again")

    def step(self) -> None:
        from pyros.jobs import store

        self.running = {f for f in self.running if not f.done()}
        while len(self.running) < self.slots and (job := store.claim_next()) is not None:
            self.running.add(self.pool.submit(self._in_thread, job.pk, job.kind, job.params))
        if time.monotonic() >= self.next_prune:
            self.next_prune = time.monotonic() + PRUNE_EVERY
            store.prune()

    @staticmethod
    def _in_thread(pk: int, kind: str, params: dict) -> None:
        from django.db import connection

        try:
            execute(pk, kind, params)
        finally:
            connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pyros-jobs", description=__doc__)
    parser.add_argument("--slots", type=int, help="instead of the configuration's "
                                                   "[web] job_workers")
    options = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pyros.config.settings")
    import django

    django.setup()
    from pyros import clock, paths
    from pyros.config.loader import active_config

    clock.install_from_environment()
    paths.logs_dir().mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s",
                        filename=paths.logs_dir() / "jobs.log")
    slots = options.slots or active_config().web.job_workers
    if slots < 1:
        parser.error("--slots must be at least 1")
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda s, f: stopping.set())
    Runner(slots).run(stopping)
    # A job's thread cannot be interrupted (a solver in C): leave without joining it;
    # its job was just marked FAILED.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
