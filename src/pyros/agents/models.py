"""What agents share through the database: heartbeats, commands and logs."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models

from pyros import clock
from pyros.agents.states import AgentMode, CommandState


def _choices(enum) -> list[tuple[str, str]]:
    return [(member.value, member.value) for member in enum]


class AgentSurvey(models.Model):
    """One agent's heartbeat (the guide's "agents survey"): an agent whose last beat is
    older than its validity is dead."""

    name = models.CharField(max_length=100)
    computer = models.CharField(max_length=100)
    pid = models.PositiveIntegerField(null=True, blank=True)
    mode = models.CharField(max_length=10, choices=_choices(AgentMode), default=AgentMode.ACTIVE)
    status = models.CharField(max_length=100, blank=True)
    iteration = models.PositiveBigIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    last_beat = models.DateTimeField(null=True, blank=True)
    validity = models.FloatField(default=5.0, help_text="seconds a beat stays valid")
    restarts = models.PositiveIntegerField(default=0)
    last_restart = models.DateTimeField(null=True, blank=True)
    current_command = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["name", "computer"]
        constraints = [
            models.UniqueConstraint(fields=["name", "computer"], name="one_survey_per_agent"),
        ]

    def __str__(self) -> str:
        return f"{self.name}@{self.computer}"

    def is_alive(self, now: datetime) -> bool:
        """Beating recently, and not stopped or dead by its own or its supervisor's word."""
        return (self.pid is not None and self.last_beat is not None
                and not self.status.startswith(("STOPPED", "DIED"))
                and now - self.last_beat <= timedelta(seconds=self.validity * clock.pace()))


class Command(models.Model):
    sender = models.CharField(max_length=100)
    recipient = models.CharField(max_length=100)
    name = models.CharField(max_length=100)
    args = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=_choices(CommandState),
                             default=CommandState.PENDING)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(help_text="a command still PENDING then expires")
    timeout = models.FloatField(help_text="seconds it may run")
    executor = models.CharField(max_length=200, blank=True, help_text="name@computer:pid")
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["recipient", "state", "id"]),
                   models.Index(fields=["state", "expires_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.name} {self.sender}->{self.recipient} ({self.state})"


class AgentLog(models.Model):
    agent = models.CharField(max_length=100)
    computer = models.CharField(max_length=100, blank=True)
    level = models.PositiveSmallIntegerField(help_text="Python logging level")
    message = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["agent", "id"]), models.Index(fields=["level", "id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%H:%M:%S} {self.agent}: {self.message[:60]}"
