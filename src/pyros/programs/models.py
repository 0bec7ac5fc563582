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
