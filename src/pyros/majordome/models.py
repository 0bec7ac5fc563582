"""What the majordome keeps: its current state (for the pages and the API, and for
whoever asks "why are we not observing?"), the operator's controls, and the night log.

The majordome agent is the only writer of MajordomeState and the night log's STATE,
SEQUENCE and SAFETY entries; the operator's controls are written by ``store`` (from the
Observatory page, the API or the CLI), which checks the rights and the state first and
logs each action.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import models

from pyros import clock
from pyros.majordome.states import Phase, State
from pyros.observations.models import Sequence


def _choices(enum) -> list[tuple[str, str]]:
    return [(member.value, member.value) for member in enum]


class MajordomeState(models.Model):
    """The majordome's latest decision: a single row (id 1), renewed every decision.

    ``decided_at`` going stale means the majordome is not running: the pages say so."""

    SINGLETON_ID = 1

    # Not an AUTO_INCREMENT column: MariaDB refuses a CHECK constraint on one.
    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID,
                                          editable=False)
    state = models.CharField(max_length=20, choices=_choices(State), default=State.STARTING)
    cause = models.CharField(max_length=255, blank=True, help_text="why it is in this state")
    since = models.DateTimeField(null=True, blank=True)
    phase = models.CharField(max_length=5, choices=_choices(Phase), blank=True)
    sun_altitude = models.FloatField(null=True, blank=True)
    inputs = models.JSONField(default=dict, blank=True, help_text="the inputs of the decision")
    why_not = models.JSONField(default=list, blank=True,
                               help_text="why the telescope is not observing, one reason each")
    work = models.CharField(max_length=200, blank=True, help_text="what the executor runs")
    sequence = models.ForeignKey(Sequence, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    fault = models.CharField(max_length=255, blank=True, help_text="a device fault holding "
                                                                   "the observatory closed")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1),
                                              name="one_majordome_state")]

    def __str__(self) -> str:
        return str(self.state)

    @classmethod
    def current(cls) -> MajordomeState:
        """The latest decision; an unsaved STARTING row when the majordome never ran."""
        return cls.objects.filter(pk=cls.SINGLETON_ID).first() or cls(
            pk=cls.SINGLETON_ID, why_not=["the majordome has not started"])

    def is_current(self, now: datetime, within: float = 15.0) -> bool:
        """Decided within ``within`` wall seconds (the majordome decides twice a second)."""
        return self.decided_at is not None and \
            (now - self.decided_at).total_seconds() <= within * clock.pace()


class ObservatoryControl(models.Model):
    """The operator's switches: a single row (id 1). Without a row nothing is set."""

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID,
                                          editable=False)
    locked = models.BooleanField(default=False)
    locked_by = models.CharField(max_length=150, blank=True)
    locked_at = models.DateTimeField(null=True, blank=True)
    bypass = models.BooleanField(default=False, help_text="PLC BYPASS: unsafe taken as safe")
    bypass_by = models.CharField(max_length=150, blank=True)
    bypass_at = models.DateTimeField(null=True, blank=True)
    stopped = models.BooleanField(default=False, help_text="the operator's STOP")
    stopped_by = models.CharField(max_length=150, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    ack_night = models.DateField(null=True, blank=True,
                                 help_text="the night the operator's ACK was given for")
    ack_by = models.CharField(max_length=150, blank=True)
    ack_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1),
                                              name="one_observatory_control")]

    def __str__(self) -> str:
        flags = [name for name in ("locked", "bypass", "stopped") if getattr(self, name)]
        return ", ".join(flags) or "nothing set"

    @classmethod
    def current(cls) -> ObservatoryControl:
        return cls.objects.filter(pk=cls.SINGLETON_ID).first() or cls(pk=cls.SINGLETON_ID)


class LogKind(models.TextChoices):
    STATE = "STATE", "State change"
    SEQUENCE = "SEQUENCE", "Sequence"
    CALIBRATION = "CALIBRATION", "Calibration"
    SAFETY = "SAFETY", "Safety"
    OPERATOR = "OPERATOR", "Operator"
    DEVICE = "DEVICE", "Device"
    PLAN = "PLAN", "Plan"
    NIGHT = "NIGHT", "End of the night"


#: The night log's line that ends a night (see MajordomeAgent._note_night_end).
NIGHT_ENDED = "night ended"


def night_end_key(night: date) -> str:
    """The ``detail["key"]`` of the line that ends ``night`` (like the calibrations'
    ``…:end``)."""
    return f"night-{night.isoformat()}:end"


class NightLogEntry(models.Model):
    """One line of the night log: what happened, when, and why."""

    time = models.DateTimeField()
    night = models.DateField(help_text="the date of the night's evening")
    kind = models.CharField(max_length=12, choices=LogKind.choices)
    message = models.CharField(max_length=500)
    detail = models.JSONField(default=dict, blank=True)
    sequence = models.ForeignKey(Sequence, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="night_log")

    class Meta:
        ordering = ["time", "id"]
        indexes = [models.Index(fields=["night", "time"])]
        verbose_name_plural = "night log"

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.kind}: {self.message}"
