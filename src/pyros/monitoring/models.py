"""What environment monitoring keeps: one WeatherWatch and one SiteWatch row per
monitoring period (the guide's tables), and the latest safety decision (SafetyState),
which the pages show and the future majordome reads.

The "monitoring" agent is the only writer, through ``store``, which also applies the
history's retention policy. Every row carries the global status, the safe flag and the
reasons of the decision of its period, so that "why were we closed at 02:10?" has a
stored answer; ``status_changed`` marks the rows where the global status changed, which
the retention always keeps and the Observatory page's timeline lists.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models

from pyros import clock
from pyros.monitoring.safety import SEVERITY, GlobalStatus

#: The global statuses, least severe first (as the pages list them).
STATUS_CHOICES = [(GlobalStatus.OK.value, "OK")] + [
    (status.value, status.value.replace("_", " ").capitalize()) for status in reversed(SEVERITY)]


class Watch(models.Model):
    """What a WeatherWatch and a SiteWatch row have in common: the decision of the
    period, and the synthesised values of one group of quantities."""

    time = models.DateTimeField(help_text="when the PLC was read (UTC)")
    status = models.CharField(max_length=12, choices=STATUS_CHOICES,
                              help_text="the global status of the safety decision")
    safe = models.BooleanField(help_text="the site was safe to open")
    reasons = models.JSONField(default=list, blank=True,
                               help_text="why the status is not OK, one sentence each")
    status_changed = models.BooleanField(
        default=False, help_text="the global status differs from the previous period's: "
                                 "kept by the retention, listed in the timeline")
    values = models.JSONField(
        default=dict, blank=True,
        help_text="quantity -> {value, source, measured_at[, fallback][, reason]}: the "
                  "value used, the sensor it came from, and why it is missing or a "
                  "secondary sensor's")
    plc_error = models.TextField(blank=True, help_text="why the PLC could not be read")
    run = models.CharField(
        max_length=60, blank=True, default=clock.run_label,
        help_text="empty for a reading made under the wall clock; else the simulated run "
                  "it was made in (pyros.clock.run_label): pages draw only the current "
                  "run's readings, so a simulated night never shares an axis with real time")

    class Meta:
        abstract = True
        ordering = ["time", "id"]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.status}"


class WeatherWatch(Watch):
    """The weather of one period. The plotted quantities are also columns, so that a
    year of history is plotted without decoding a JSON document per row."""

    sky = models.CharField(max_length=10, help_text="observing conditions: clear, cloudy "
                                                    "or unknown")
    sky_brightness = models.FloatField(null=True, blank=True, help_text="mag/arcsec²")
    rain_rate = models.FloatField(null=True, blank=True, help_text="mm/h")
    wind_speed = models.FloatField(null=True, blank=True, help_text="m/s")
    wind_gust = models.FloatField(null=True, blank=True, help_text="m/s")
    humidity = models.FloatField(null=True, blank=True, help_text="percent")
    temperature = models.FloatField(null=True, blank=True, help_text="°C")
    dew_point = models.FloatField(null=True, blank=True, help_text="°C")
    sky_temperature = models.FloatField(null=True, blank=True, help_text="°C")
    pressure = models.FloatField(null=True, blank=True, help_text="hPa")

    #: The numeric weather quantities kept as columns.
    COLUMNS = ("rain_rate", "wind_speed", "wind_gust", "humidity", "temperature",
               "dew_point", "sky_temperature", "pressure")

    class Meta(Watch.Meta):
        indexes = [models.Index(fields=["time"]),
                   models.Index(fields=["status_changed", "time"])]
        verbose_name_plural = "weather watches"


class SiteWatch(Watch):
    """The site of one period: doors, lights, shutter, power, intrusion, emergency stop,
    PLC mode and night ACK."""

    class Meta(Watch.Meta):
        indexes = [models.Index(fields=["time"])]
        verbose_name_plural = "site watches"


class SafetyState(models.Model):
    """The latest safety decision: a single row (id 1), updated every period.

    A reader must check ``decided_at``: a decision that stopped being renewed (the
    monitoring agent died) is no decision, and :meth:`is_current` says so. Without a
    row, the state is NO_DATA and unsafe, the safe answer for a fresh database."""

    SINGLETON_ID = 1

    # Not an AUTO_INCREMENT column: MariaDB refuses a CHECK constraint on one.
    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID,
                                          editable=False)
    safe = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=STATUS_CHOICES,
                              default=GlobalStatus.NO_DATA.value)
    reasons = models.JSONField(default=list, blank=True)
    sky = models.CharField(max_length=10, default="unknown",
                           help_text="observing conditions: clear, cloudy or unknown")
    sky_brightness = models.FloatField(null=True, blank=True, help_text="mag/arcsec²")
    plc_error = models.TextField(blank=True, help_text="why the PLC could not be read")
    since = models.DateTimeField(null=True, blank=True,
                                 help_text="when `safe` took its current value")
    changed_at = models.DateTimeField(null=True, blank=True,
                                      help_text="when the global status last changed")
    decided_at = models.DateTimeField(null=True, blank=True,
                                      help_text="the latest decision, renewed every period")

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1),
                                              name="one_safety_state")]
        verbose_name_plural = "safety state"

    def __str__(self) -> str:
        return f"{self.status} ({'safe' if self.safe else 'unsafe'})"

    @classmethod
    def current(cls) -> SafetyState:
        """The latest decision; an unsaved NO_DATA row when there is none (reading never
        writes)."""
        return cls.objects.filter(pk=cls.SINGLETON_ID).first() or cls(
            pk=cls.SINGLETON_ID,
            reasons=["NO_DATA: no safety decision yet (is the monitoring agent running?)"])

    def age(self, now: datetime) -> float | None:
        """Seconds since the latest decision, None if there was none."""
        if self.decided_at is None:
            return None
        return max(0.0, (now - self.decided_at).total_seconds())

    def is_current(self, now: datetime, period: float) -> bool:
        """Renewed recently enough to be believed: within three monitoring periods (and
        never less than 15 s, so that one slow database write is not an alarm)."""
        age = self.age(now)
        return age is not None and timedelta(seconds=age) <= current_within(period)


def current_within(period: float) -> timedelta:
    """How old the latest decision may be before the pages call it stale (the period is
    the agent's loop, in wall seconds: on a simulated clock running faster, more of the
    clock's seconds pass between two decisions)."""
    return timedelta(seconds=max(3 * period, 15.0) * clock.pace())
