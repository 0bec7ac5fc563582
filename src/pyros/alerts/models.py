"""Alerts as stored: every packet received (the raw packet kept), the events they make,
the strategies that decide what to observe, and the decision log of each packet.

A packet that could not be read is a :class:`RefusedPacket` with the reason: nothing
else changes. A packet that was read is an :class:`AlertPacket` of an
:class:`AlertEvent`; its :class:`AlertLog` rows say, with timestamps, what happened to
it — received, parsed, accepted or rejected and why, the request made, the plan updated.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from pyros.observations.models import Request


class EventStatus(models.TextChoices):
    ACTIVE = "ACTIVE", "Active"
    RETRACTED = "RETRACTED", "Retracted"
    TEST = "TEST", "Test"


class AlertEvent(models.Model):
    """One burst or candidate: the packets of one trigger, and its best position."""

    key = models.CharField(max_length=200, unique=True,
                           help_text="mission:trigger id (test: prefix for test events)")
    mission = models.CharField(max_length=40)
    trigger_id = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=EventStatus.choices,
                              default=EventStatus.ACTIVE)
    event_time = models.DateTimeField(null=True, blank=True)
    ra = models.FloatField(null=True, blank=True, help_text="ICRS degrees")
    dec = models.FloatField(null=True, blank=True, help_text="ICRS degrees")
    error_radius = models.FloatField(null=True, blank=True, help_text="degrees")
    position_ivorn = models.CharField(max_length=255, blank=True)
    skymap_url = models.URLField(max_length=500, blank=True)
    cancelled_by = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.key


class Decision(models.TextChoices):
    ACCEPTED = "ACCEPTED", "Accepted: observed"
    REJECTED = "REJECTED", "Rejected"
    DUPLICATE = "DUPLICATE", "Duplicate"
    RETRACTION = "RETRACTION", "Retraction"


class AlertPacket(models.Model):
    """One packet as received and read (the normalised record, and the raw bytes)."""

    event = models.ForeignKey(AlertEvent, on_delete=models.CASCADE, related_name="packets")
    ivorn = models.CharField(max_length=255, unique=True)
    role = models.CharField(max_length=20)
    mission = models.CharField(max_length=40)
    instrument = models.CharField(max_length=40, blank=True)
    notice_type = models.CharField(max_length=80)
    trigger_id = models.CharField(max_length=100, blank=True)
    event_time = models.DateTimeField(null=True, blank=True)
    ra = models.FloatField(null=True, blank=True)
    dec = models.FloatField(null=True, blank=True)
    error_radius = models.FloatField(null=True, blank=True)
    record = models.JSONField(help_text="the normalised alert record")
    raw = models.TextField(help_text="the packet as received")
    source = models.CharField(max_length=100, help_text="broker, file, drop folder…")
    received_at = models.DateTimeField()
    decision = models.CharField(max_length=10, choices=Decision.choices)
    reason = models.TextField(blank=True)
    strategy = models.ForeignKey("Strategy", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="packets")
    request = models.ForeignKey(Request, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="alert_packets")

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["mission", "trigger_id"])]

    def __str__(self) -> str:
        return self.ivorn


class RefusedPacket(models.Model):
    """A packet that could not be read: why, and its first bytes."""

    received_at = models.DateTimeField()
    source = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    reason = models.CharField(max_length=500)
    head = models.TextField(blank=True, help_text="the first 2 KiB, as text")

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.received_at:%Y-%m-%d %H:%M:%S}: {self.reason}"


class Step(models.TextChoices):
    RECEIVED = "RECEIVED", "Received"
    PARSED = "PARSED", "Parsed"
    GROUPED = "GROUPED", "Grouped"
    ACCEPTED = "ACCEPTED", "Accepted"
    REJECTED = "REJECTED", "Rejected"
    REQUEST = "REQUEST", "Request submitted"
    CANCELLED = "CANCELLED", "Requests cancelled"
    PLAN = "PLAN", "Plan updated"
    SLEW = "SLEW", "Slew commanded"
    CANDIDATES = "CANDIDATES", "Transient search"


class AlertLog(models.Model):
    """One step of a packet's handling, with its time: the decision log."""

    packet = models.ForeignKey(AlertPacket, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="log")
    ivorn = models.CharField(max_length=255, blank=True)
    step = models.CharField(max_length=10, choices=Step.choices)
    at = models.DateTimeField()
    wall_at = models.DateTimeField(
        null=True, blank=True, help_text="the wall clock's time of the step: differs from "
                                         "`at` under a simulated clock, and gives the real "
                                         "latency")
    message = models.TextField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%H:%M:%S.%f} {self.step} {self.message}"


class Strategy(models.Model):
    """A version of the alert strategy: what is observed, and how. Versions are never
    edited: a change makes a new version, and exactly one is active."""

    name = models.CharField(max_length=100)
    version = models.PositiveIntegerField(unique=True)
    text = models.TextField(help_text="the strategy as written (TOML)")
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    comment = models.CharField(max_length=255, blank=True)

    class Meta:
        # One active version is kept by store.activate_strategy (a conditional unique
        # constraint would say it better, but MariaDB has none).
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}{' (active)' if self.is_active else ''}"
