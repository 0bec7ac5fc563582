"""Calls, proposals, their targets and the TAC's votes.

Times (``created_at``, ``updated_at``, ``submitted_at``, ``decided_at``) are set by
``proposals.store`` from ``pyros.clock``, not by ``auto_now``: a simulated clock must
move them too, as it moves the deadline.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models

from pyros.programs.models import Period, ScientificProgram


class Call(models.Model):
    """The call for proposals of one six-month period: proposals for it are made,
    changed, submitted and withdrawn from ``opens`` until ``deadline``."""

    period = models.OneToOneField(Period, on_delete=models.PROTECT, related_name="call")
    opens = models.DateTimeField()
    deadline = models.DateTimeField()

    class Meta:
        ordering = ["-deadline"]
        constraints = [
            models.CheckConstraint(condition=models.Q(deadline__gt=models.F("opens")),
                                   name="call_deadline_after_opening"),
        ]

    def __str__(self) -> str:
        return f"call for {self.period.name}"

    def is_open(self, now: datetime) -> bool:
        return self.opens <= now < self.deadline


class ProposalStatus(models.TextChoices):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"


class Proposal(models.Model):
    """What an observer asks time for; accepted, it becomes ``program``."""

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="proposals")
    proposer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="proposals")
    title = models.CharField(max_length=100)
    abstract = models.TextField()
    #: channel name (unit configuration) -> hours asked for, e.g. {"VIS": 12.5}
    requested_hours = models.JSONField(default=dict)
    co_investigators = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True,
                                              related_name="co_proposals")
    status = models.CharField(max_length=10, choices=ProposalStatus.choices,
                              default=ProposalStatus.DRAFT)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    decision_comment = models.TextField(blank=True)
    program = models.OneToOneField(ScientificProgram, on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="proposal")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="proposal_status_created")]

    def __str__(self) -> str:
        return self.title

    @property
    def total_hours(self) -> float:
        return float(sum(self.requested_hours.values()))

    @property
    def is_decided(self) -> bool:
        return self.status in (ProposalStatus.ACCEPTED, ProposalStatus.REJECTED)


class ProposalTarget(models.Model):
    """One target a proposal means to observe (ICRS degrees)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="targets")
    name = models.CharField(max_length=100)
    ra = models.FloatField()
    dec = models.FloatField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.ra:.4f}, {self.dec:+.4f})"


class Vote(models.Model):
    """A TAC member's grade of a proposal: one per member, changed until the decision."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="proposal_votes")
    grade = models.PositiveSmallIntegerField(help_text="1 (poor) to 5 (excellent)")
    comment = models.TextField(blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "voter"], name="one_vote_per_member"),
            models.CheckConstraint(condition=models.Q(grade__gte=1, grade__lte=5),
                                   name="vote_grade_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.voter} on {self.proposal}: {self.grade}"
