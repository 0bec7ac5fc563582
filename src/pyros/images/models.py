"""Every image the observatory took: where its FITS file is and what it is of.

The majordome writes a row per file as the executor hands it over; the headers we
added are kept as well, so that a search does not open files. Reduction and archiving
(later functions) build on these rows.
"""

from __future__ import annotations

from django.db import models

from pyros.devices.interfaces import FrameType
from pyros.observations.models import Album, Plan, Sequence

#: The cameras' frame types (devices.interfaces.FrameType), as choices.
FRAME_TYPES = [(frame.value, frame.value.capitalize()) for frame in FrameType]


class Image(models.Model):
    path = models.CharField(max_length=500, unique=True, help_text="the FITS file")
    night = models.DateField(help_text="the date of the night's evening")
    channel = models.CharField(max_length=50)
    frame_type = models.CharField(max_length=5, choices=FRAME_TYPES)
    filter = models.CharField(max_length=50, blank=True)
    exposure = models.FloatField(help_text="seconds")
    date_obs = models.DateTimeField(help_text="start of the exposure (UTC)")
    date_end = models.DateTimeField(help_text="end of the readout (UTC)")
    target_name = models.CharField(max_length=100, blank=True)
    airmass = models.FloatField(null=True, blank=True)
    work_key = models.CharField(max_length=120, help_text="the sequence or calibration it "
                                                          "belongs to")
    sequence = models.ForeignKey(Sequence, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="images")
    album = models.ForeignKey(Album, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="images")
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="images")
    headers = models.JSONField(default=dict, blank=True,
                               help_text="the keywords PyROS added to the file")

    class Meta:
        ordering = ["date_obs", "id"]
        indexes = [models.Index(fields=["night", "date_obs"]),
                   models.Index(fields=["frame_type", "night"])]

    def __str__(self) -> str:
        return f"{self.channel} {self.frame_type} {self.exposure:g} s at {self.date_obs:%H:%M:%S}"
