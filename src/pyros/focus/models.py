"""Every autofocus, kept: the last good one's temperature tells the majordome when to
focus again, and the series shows how best focus follows the temperature."""

from __future__ import annotations

from django.db import models


class FocusRun(models.Model):
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    focuser = models.CharField(max_length=50)
    channel = models.CharField(max_length=50)
    reason = models.CharField(max_length=100, help_text="dusk, temperature, by hand")
    succeeded = models.BooleanField()
    position = models.IntegerField(null=True, blank=True, help_text="best focus, steps")
    position_error = models.FloatField(null=True, blank=True,
                                       help_text="its standard deviation, steps")
    best_fwhm = models.FloatField(null=True, blank=True, help_text="arcsec at best focus")
    temperature = models.FloatField(null=True, blank=True,
                                    help_text="of the tube (the focuser's probe), Celsius")
    exposures = models.PositiveSmallIntegerField()
    points = models.JSONField(help_text="[position, FWHM arcsec or null] per frame")
    message = models.TextField(blank=True, help_text="why it failed, or what it did")

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        best = f"at {self.position}" if self.position is not None else "failed"
        return f"focus {self.pk} of {self.started_at:%Y-%m-%d %H:%M}: {best}"
