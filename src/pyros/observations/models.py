"""Requests, sequences, albums and plans as stored.

Children keep their ``position`` so that a request exports in the order it was written.
Statuses only change through :meth:`Request.move_to` / :meth:`Sequence.move_to`, which
enforce the lifecycle.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from pyros.observations.lifecycle import (
    ObsType,
    RequestStatus,
    SequenceStatus,
    check_request_transition,
    check_sequence_transition,
)
from pyros.programs.models import ScientificProgram


def _choices(enum) -> list[tuple[str, str]]:
    return [(member.value, member.value) for member in enum]


class Request(models.Model):
    name = models.CharField(max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requests"
    )
    program = models.ForeignKey(
        ScientificProgram, on_delete=models.PROTECT, related_name="requests"
    )
    target_type = models.CharField(max_length=50, blank=True)
    status = models.CharField(
        max_length=12, choices=_choices(RequestStatus), default=RequestStatus.DRAFT
    )
    status_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "program"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.name}"

    @property
    def is_editable(self) -> bool:
        return self.status == RequestStatus.DRAFT

    def move_to(self, status: RequestStatus, reason: str = "") -> None:
        self.status = check_request_transition(self.status, status)
        self.status_reason = reason[:255]


class Sequence(models.Model):
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="sequences")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=100)
    target_name = models.CharField(max_length=100, blank=True)
    ra = models.FloatField(help_text="ICRS degrees")
    dec = models.FloatField(help_text="ICRS degrees")
    start = models.DateTimeField(help_text="window start (UTC)")
    end = models.DateTimeField(help_text="window end (UTC)")
    duration = models.FloatField(help_text="seconds")
    priority = models.PositiveSmallIntegerField(default=5)
    obs_type = models.CharField(max_length=10, choices=_choices(ObsType), default=ObsType.BESTELEV)
    preferred_time = models.DateTimeField(null=True, blank=True)
    max_airmass = models.FloatField(default=2.0)
    min_moon_separation = models.FloatField(default=0.0, help_text="degrees")
    status = models.CharField(
        max_length=12, choices=_choices(SequenceStatus), default=SequenceStatus.DRAFT
    )
    status_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["request_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["request", "position"], name="sequence_position"),
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")),
                                   name="sequence_window_ordered"),
            models.CheckConstraint(condition=models.Q(duration__gt=0),
                                   name="sequence_duration_positive"),
        ]
        indexes = [models.Index(fields=["status", "start"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"

    def move_to(self, status: SequenceStatus, reason: str = "") -> None:
        self.status = check_sequence_transition(self.status, status)
        self.status_reason = reason[:255]


class Album(models.Model):
    sequence = models.ForeignKey(Sequence, on_delete=models.CASCADE, related_name="albums")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=100)
    detector = models.CharField(max_length=50)

    class Meta:
        ordering = ["sequence_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["sequence", "position"], name="album_position"),
        ]

    def __str__(self) -> str:
        return f"{self.name} on {self.detector}"


class Plan(models.Model):
    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="plans")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=100)
    filter = models.CharField(max_length=50)
    exposure = models.FloatField(help_text="seconds per image")
    nb_images = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["album_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["album", "position"], name="plan_position"),
            models.CheckConstraint(condition=models.Q(exposure__gt=0),
                                   name="plan_exposure_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.nb_images} x {self.exposure:g} s in {self.filter}"
