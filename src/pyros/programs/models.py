"""Scientific programs and the time they are given per period."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Period(models.Model):
    """A six-month observing period, e.g. 2026B."""

    name = models.CharField(max_length=20, unique=True)
    start = models.DateTimeField()
    end = models.DateTimeField()

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")),
                                   name="period_end_after_start"),
        ]

    def __str__(self) -> str:
        return self.name


class ScientificProgram(models.Model):
    """A scientific program (SP): the unit of time allocation requests are charged to."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    pi = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="led_programs",
        verbose_name="PI",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="programs", blank=True
    )
    priority = models.PositiveSmallIntegerField(
        default=5, help_text="1 (lowest) to 10 (highest), set by the PI"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(priority__gte=1, priority__lte=10),
                                   name="program_priority_1_to_10"),
        ]

    def __str__(self) -> str:
        return self.name

    def has_member(self, user: object) -> bool:
        return self.pi_id == getattr(user, "pk", None) or self.members.filter(
            pk=getattr(user, "pk", None)
        ).exists()


class Allocation(models.Model):
    """Hours a program may use in one period."""

    program = models.ForeignKey(
        ScientificProgram, on_delete=models.CASCADE, related_name="allocations"
    )
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="allocations")
    quota_hours = models.DecimalField(max_digits=8, decimal_places=2)

    class Meta:
        ordering = ["period__start", "program__name"]
        constraints = [
            models.UniqueConstraint(fields=["program", "period"], name="one_allocation_per_period"),
            models.CheckConstraint(condition=models.Q(quota_hours__gte=0),
                                   name="allocation_quota_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.program} in {self.period}: {self.quota_hours} h"


class TimeCharge(models.Model):
    """The telescope time one execution of a sequence cost its program: from the night
    log's "started" entry to its end, whatever the outcome (a stopped or failed
    sequence held the telescope too). Written by the majordome in the transaction that
    records the outcome; one row per execution (the sequence and its start), so a
    repeated write changes nothing. Calibrations belong to no program and charge none."""

    program = models.ForeignKey(ScientificProgram, on_delete=models.PROTECT,
                                related_name="charges")
    period = models.ForeignKey(Period, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="charges",
                               help_text="the period containing the start; none if undefined")
    # By name: observations depends on programs, not the other way round.
    sequence = models.ForeignKey("observations.Sequence", null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="charges")
    start = models.DateTimeField()
    end = models.DateTimeField()
    seconds = models.FloatField()
    breakdown = models.JSONField(default=dict, blank=True,
                                 help_text="seconds of exposure, readout, slew, overhead")
    outcome = models.CharField(max_length=12, help_text="EXECUTED, FAILED or INTERRUPTED")
    reason = models.CharField(max_length=255, blank=True)
    alert = models.BooleanField(default=False, help_text="the request came from an alert")

    class Meta:
        ordering = ["start", "id"]
        constraints = [
            models.UniqueConstraint(fields=["sequence", "start"], name="one_charge_per_execution"),
            models.CheckConstraint(condition=models.Q(seconds__gte=0),
                                   name="charge_not_negative"),
        ]
        indexes = [models.Index(fields=["program", "period"])]

    def __str__(self) -> str:
        return f"{self.program}: {self.seconds:.0f} s ({self.outcome})"
