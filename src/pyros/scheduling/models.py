"""Every plan the scheduler made, with what triggered it: the schedule history.

A :class:`Schedule` is one night's plan at one moment; its :class:`ScheduledSequence`
rows are the plan in time order, its :class:`UnplannedSequence` rows the sequences it
left out with the reason. The newest schedule of a night is tonight's plan; the older
ones stay as the history.

:class:`PlanningMarker` is how the scheduler notices that its input changed without
comparing contents: whoever changes what the plan depends on (a sequence executed or
failed, an alert, an operator's request to re-plan) bumps its version.
"""

from __future__ import annotations

from django.db import models

from pyros.observations.models import Sequence


class Trigger(models.TextChoices):
    NEW_SEQUENCES = "NEW_SEQUENCES", "New or cancelled sequences"
    ALERT = "ALERT", "Alert"
    START_OF_NIGHT = "START_OF_NIGHT", "Start of night"
    CONDITIONS = "CONDITIONS", "Change of conditions"
    EXECUTION = "EXECUTION", "Sequence executed or failed"
    OPERATOR = "OPERATOR", "Operator"


class Schedule(models.Model):
    night = models.DateField(help_text="the date of the night's evening")
    created_at = models.DateTimeField()
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    detail = models.CharField(max_length=255, blank=True, help_text="what changed")
    engine = models.CharField(max_length=16, help_text="optimal, fast or incremental")
    objective = models.FloatField(help_text="priority × seconds planned")
    bound = models.FloatField(null=True, blank=True,
                              help_text="no plan of the same input can exceed this")
    proven_optimal = models.BooleanField(default=False)
    elapsed = models.FloatField(help_text="seconds spent planning")
    dark_start = models.DateTimeField(null=True, blank=True)
    dark_end = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["night", "-created_at"])]

    def __str__(self) -> str:
        return f"plan of {self.night} made {self.created_at:%Y-%m-%d %H:%M:%S} ({self.trigger})"

    @property
    def quality(self) -> float | None:
        """The share of the best achievable objective this plan is guaranteed to reach."""
        if not self.bound:
            return None
        return min(1.0, self.objective / self.bound)


class ScheduledSequence(models.Model):
    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="entries")
    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE,
                                 related_name="schedule_entries")
    position = models.PositiveIntegerField()
    start = models.DateTimeField()
    end = models.DateTimeField()

    class Meta:
        ordering = ["schedule", "position"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "position"],
                                    name="one_entry_per_position"),
        ]

    def __str__(self) -> str:
        return f"{self.sequence} {self.start:%H:%M}–{self.end:%H:%M}"


class UnplannedSequence(models.Model):
    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="unplanned")
    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE,
                                 related_name="unplanned_in")
    reason = models.CharField(max_length=255)

    class Meta:
        ordering = ["schedule", "sequence"]

    def __str__(self) -> str:
        return f"{self.sequence}: {self.reason}"


class PlanningMarker(models.Model):
    """A single row (id 1) whose version grows each time the plan's input changes."""

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID,
                                          editable=False)
    version = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(null=True, blank=True)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, blank=True)
    detail = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return f"planning input v{self.version}"
