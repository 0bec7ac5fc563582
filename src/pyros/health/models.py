"""What the health of the observatory is followed by, for years: a row per night,
channel, metric and key (the filter, the device), computed after each night; the
morning reports built; who wants them by mail.

The device history is thinned after a day and deleted after a week, the night log and
the analyses may be pruned: these summaries are what stays.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class NightMetric(models.Model):
    """One figure of one night: the median (or mean, or count, as the metric says) of
    what that night measured, with how many measurements made it."""

    night = models.DateField(help_text="the date of the night's evening")
    channel = models.CharField(max_length=50, blank=True, help_text="empty: the unit")
    metric = models.CharField(max_length=40, help_text="a name of health.metrics")
    key = models.CharField(max_length=100, blank=True, help_text="the filter or the device")
    value = models.FloatField()
    count = models.PositiveIntegerField(help_text="measurements summarised")
    spread = models.FloatField(null=True, blank=True,
                               help_text="their standard deviation, when more than one")
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["night", "channel", "metric", "key"]
        constraints = [models.UniqueConstraint(fields=["night", "channel", "metric", "key"],
                                               name="one_metric_per_night")]
        indexes = [models.Index(fields=["metric", "night"])]

    def __str__(self) -> str:
        where = "/".join(part for part in (self.channel, self.key) if part)
        return f"{self.night} {self.metric}{f' ({where})' if where else ''} = {self.value:g}"


class NightReport(models.Model):
    """The morning report of a night: where its file is, when it was ready and how long
    after the end of the night, and whether it was mailed."""

    night = models.DateField(unique=True)
    path = models.CharField(max_length=500, help_text="the self-contained HTML file")
    night_end = models.DateTimeField(null=True, blank=True,
                                     help_text="the majordome's end of the night")
    built_at = models.DateTimeField()
    seconds = models.FloatField(help_text="wall seconds spent building it")
    warnings = models.PositiveIntegerField(default=0)
    mailed_to = models.PositiveIntegerField(default=0, help_text="subscribers mailed")

    class Meta:
        ordering = ["-night"]

    def __str__(self) -> str:
        return f"report of {self.night}"

    @property
    def seconds_after_end(self) -> float | None:
        """Simulated (clock) seconds from the night's end to the report ready."""
        if self.night_end is None:
            return None
        return (self.built_at - self.night_end).total_seconds()


class ReportSubscription(models.Model):
    """A user's wish to receive the morning report by mail."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="report_subscription")
    morning_report = models.BooleanField(default=True)
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["user_id"]

    def __str__(self) -> str:
        return f"{self.user} {'receives' if self.morning_report else 'does not receive'} " \
               "the morning report"
