"""Every pointing fit, with the data it used: which one is in force is a flag here and
the file the devices read (``pyros.pointing.active``)."""

from __future__ import annotations

from django.db import models


class FitSource(models.TextChoices):
    RUN = "RUN", "dedicated run"
    FRAMES = "FRAMES", "science frames"
    GIVEN = "GIVEN", "observations given"


class PointingFitRecord(models.Model):
    fitted_at = models.DateTimeField()
    source = models.CharField(max_length=6, choices=FitSource.choices)
    description = models.CharField(max_length=200, blank=True,
                                   help_text="what was observed: nights, fields")
    mount_type = models.CharField(max_length=10)
    latitude = models.FloatField(help_text="degrees")
    terms = models.JSONField(help_text="term names, in the covariance's order")
    coefficients = models.JSONField(help_text="arcsec by term")
    sigmas = models.JSONField(help_text="arcsec by term, one standard deviation")
    covariance = models.JSONField(help_text="arcsec², terms × terms")
    rms_before = models.FloatField(help_text="arcsec on the sky")
    rms_after = models.FloatField(help_text="arcsec on the sky, residuals")
    fields = models.PositiveIntegerField()
    observations = models.JSONField(help_text="the data used: sent, solved, sidereal time")
    in_force = models.BooleanField(default=False, help_text="applied to the slews")

    class Meta:
        ordering = ["-fitted_at", "-id"]

    def __str__(self) -> str:
        return (f"pointing fit {self.pk} of {self.fitted_at:%Y-%m-%d %H:%M}: {self.fields} "
                f"fields, {self.rms_before:.1f}″ → {self.rms_after:.1f}″")
