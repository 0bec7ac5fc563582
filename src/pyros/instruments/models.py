"""What the pages and the future majordome read about the devices: each device's last
status, the history of those statuses, and the observatory's operating mode.

The "devices" agent is the only writer of DeviceState and DeviceStatusHistory
(through ``store``); OperatingMode is set by ``pyros observatory mode`` until the
majordome owns it.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models


class DeviceKind(models.TextChoices):
    """The kinds of devices/interfaces.py (their ``kind`` attribute)."""

    MOUNT = "mount", "Mount"
    DOME = "dome", "Dome"
    FOCUSER = "focuser", "Focuser"
    FILTERWHEEL = "filterwheel", "Filter wheel"
    CAMERA = "camera", "Camera"


class DeviceState(models.Model):
    """One device's last status. A failed poll does not erase what was known: ``data``
    keeps the last good status, ``stale`` says it is old and ``error`` says why."""

    name = models.CharField(max_length=100, unique=True, help_text="the device's name in "
                                                                    "the unit configuration")
    kind = models.CharField(max_length=20, choices=DeviceKind.choices)
    channel = models.CharField(max_length=50, blank=True,
                               help_text="the instrument channel of a camera or filter wheel")
    connected = models.BooleanField(default=False)
    stale = models.BooleanField(default=False,
                                help_text="the last poll failed: data is the last good status")
    data = models.JSONField(default=dict, blank=True, help_text="the last good status")
    error = models.TextField(blank=True, help_text="why the last poll failed")
    polled_at = models.DateTimeField(null=True, blank=True, help_text="the last poll")
    good_at = models.DateTimeField(null=True, blank=True,
                                   help_text="the last poll that answered")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        state = "stale" if self.stale else ("connected" if self.connected else "disconnected")
        return f"{self.name} ({self.kind}, {state})"


class DeviceStatusHistory(models.Model):
    """One poll of one device. Thinned and deleted by ``store.prune_history``: every poll
    for a day, one per minute for a week, nothing older."""

    device = models.ForeignKey(DeviceState, on_delete=models.CASCADE, related_name="history")
    time = models.DateTimeField()
    connected = models.BooleanField()
    data = models.JSONField(default=dict, blank=True,
                            help_text="the status; {'error': ...} when the poll failed")

    class Meta:
        ordering = ["time", "id"]
        indexes = [models.Index(fields=["device", "time"]), models.Index(fields=["time"])]
        verbose_name_plural = "device status history"

    def __str__(self) -> str:
        return f"{self.device_id} at {self.time:%Y-%m-%d %H:%M:%S}"


class Mode(models.TextChoices):
    """Who drives the telescope: the scheduler's plan, a remote user, or nobody."""

    SCHEDULER = "SCHEDULER", "Scheduler"
    REMOTE = "REMOTE", "Remote"
    PASSIVE = "PASSIVE", "Passive"


class OperatingMode(models.Model):
    """The observatory's operating mode: a single row (id 1). Without a row the mode is
    PASSIVE, where nothing moves the telescope: the safe answer for a fresh database."""

    SINGLETON_ID = 1

    # Not an AUTO_INCREMENT column: MariaDB refuses a CHECK constraint on one.
    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID,
                                          editable=False)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.PASSIVE)
    changed_by = models.CharField(max_length=150, blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1),
                                              name="one_operating_mode")]

    def __str__(self) -> str:
        return str(self.mode)

    @classmethod
    def current(cls) -> OperatingMode:
        """The mode now; an unsaved PASSIVE row if it was never set (reading never writes)."""
        return cls.objects.filter(pk=cls.SINGLETON_ID).first() or cls(pk=cls.SINGLETON_ID)

    @classmethod
    def change(cls, mode: Mode | str, *, by: str, at: datetime, reason: str = "") \
            -> OperatingMode:
        """Set the mode; ``by`` says who (``cli:<user>``, ``web:<user>``, ``majordome``)."""
        row, _ = cls.objects.update_or_create(
            pk=cls.SINGLETON_ID,
            defaults={"mode": Mode(mode), "changed_by": by, "changed_at": at,
                      "reason": reason})
        return row
