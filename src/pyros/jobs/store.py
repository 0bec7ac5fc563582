"""The only place that writes jobs: submission with its limits, the runner's claim and
its ending. Each change of state is a conditional UPDATE (``... WHERE state =
expected``), as for agents' commands, so a job is claimed once and ended once."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from pyros.accounts.models import User
from pyros.config.loader import active_config
from pyros.jobs.models import ACTIVE_STATES, Job, JobState

#: Finished jobs (and their results, up to megabytes for a large simulation) are kept
#: this long for their page, then deleted by the runner.
KEEP_FINISHED = timedelta(days=1)
MESSAGE_LENGTH = 2000


class JobRefused(Exception):
    """A limit reached: answered 429 with ``Retry-After``."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def submit(owner: User, kind: str, params: dict[str, Any], expected_seconds: float) -> Job:
    """Queue a job, or refuse it (:class:`JobRefused`) when its owner already has
    ``[web] jobs_per_user`` jobs queued or running, or the site ``[web] job_queue``."""
    limits = active_config().web
    retry = max(1, math.ceil(expected_seconds))
    with transaction.atomic():
        # Locks the owner's row (PostgreSQL, MariaDB; SQLite writes one at a time anyway)
        # so that two submissions at once cannot both pass the per-user count.
        User.objects.select_for_update().filter(pk=owner.pk).first()
        active = Job.objects.filter(state__in=ACTIVE_STATES)
        mine = active.filter(owner=owner).count()
        if mine >= limits.jobs_per_user:
            raise JobRefused(
                f"you already have {mine} job(s) queued or running (at most "
                f"{limits.jobs_per_user} per user): wait for it to finish", retry)
        total = active.count()
        if total >= limits.job_queue:
            raise JobRefused(
                f"the server is busy: {total} jobs queued or running (at most "
                f"{limits.job_queue}); try again in a minute", max(retry, 60))
        return Job.objects.create(owner=owner, kind=kind, params=params,
                                  expected_seconds=expected_seconds,
                                  created_at=timezone.now())


def claim_next() -> Job | None:
    """The oldest queued job, now RUNNING; None when none is queued."""
    queued = Job.objects.filter(state=JobState.QUEUED).order_by("id")
    for pk in queued.values_list("id", flat=True)[:10]:
        if Job.objects.filter(pk=pk, state=JobState.QUEUED).update(
                state=JobState.RUNNING, started_at=timezone.now()):
            return Job.objects.get(pk=pk)
    return None


def finish(pk: int, result: dict[str, Any]) -> bool:
    return bool(Job.objects.filter(pk=pk, state=JobState.RUNNING).update(
        state=JobState.DONE, result=result, message="", finished_at=timezone.now()))


def fail(pk: int, message: str) -> bool:
    return bool(Job.objects.filter(pk=pk, state__in=ACTIVE_STATES).update(
        state=JobState.FAILED, message=message[:MESSAGE_LENGTH], finished_at=timezone.now()))


def fail_running(message: str) -> int:
    """End as FAILED the jobs a runner that stopped left RUNNING: their thread is gone.
    Not run again, so that a job that kills its runner cannot kill it forever."""
    return Job.objects.filter(state=JobState.RUNNING).update(
        state=JobState.FAILED, message=message[:MESSAGE_LENGTH], finished_at=timezone.now())


def prune() -> int:
    cutoff = timezone.now() - KEEP_FINISHED
    deleted, _ = Job.objects.filter(state__in=(JobState.DONE, JobState.FAILED),
                                    finished_at__lt=cutoff).delete()
    return deleted


def progress(job: Job) -> float:
    """0 queued, 1 finished; running, the share of its expected time elapsed (never 1
    before it ends): the solver's time limit is its only honest measure."""
    if job.state == JobState.QUEUED:
        return 0.0
    if job.state in (JobState.DONE, JobState.FAILED) or job.started_at is None:
        return 1.0
    elapsed = (timezone.now() - job.started_at).total_seconds()
    return round(min(0.99, max(0.0, elapsed / max(job.expected_seconds, 0.001))), 3)


def queued_ahead(job: Job) -> int:
    if job.state != JobState.QUEUED:
        return 0
    return Job.objects.filter(state=JobState.QUEUED, id__lt=job.pk).count()


def visible_job(owner: User, pk: int) -> Job | None:
    """The job, to its owner only: others are told it does not exist."""
    return Job.objects.filter(pk=pk, owner=owner).first() if owner.is_authenticated else None
