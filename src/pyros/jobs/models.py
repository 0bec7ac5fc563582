"""A job: long work a user asked for, its state and its result.

Times are the wall's (``django.utils.timezone.now``), not the run's clock: a job's
progress is measured against limits in real seconds (a solver's time limit), which a
simulated night running twenty times faster must not shorten.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class JobState(models.TextChoices):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"


ACTIVE_STATES = (JobState.QUEUED, JobState.RUNNING)


class Job(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="jobs")
    kind = models.CharField(max_length=50)
    params = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=JobState.choices,
                             default=JobState.QUEUED)
    expected_seconds = models.FloatField(
        default=1.0, help_text="how long it should run at most: its progress's scale")
    message = models.CharField(max_length=2000, blank=True,
                               help_text="why it failed, or what it is doing")
    result = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "id"], name="jobs_state_id")]

    def __str__(self) -> str:
        return f"job #{self.pk} {self.kind} of {self.owner_id} ({self.state})"
