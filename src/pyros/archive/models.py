"""The archive's catalogue: one row per file PyROS keeps, whatever made it.

A raw frame (the camera's file with the majordome's headers), its calibrated frame and
source catalogue (the analysis agent's), and the master calibrations are all the same
kind of record, as in LCO's science archive and pyobs-archive: what a search, a
download, a check of integrity and a retention rule need, without opening the files.
The rows that made the file (Image, FrameAnalysis, MasterCalibration) stay the
working model; a frame's relatives are found through them (``relations.py``).

The centre is also kept as a unit vector (x, y, z) and a declination zone: a cone
search is a dot product over the rows that an index on (zone, ra) selects, on any
database (no PostGIS): pyobs-archive's unit vectors with the zones of Gray et al.
(2007, "The zones algorithm for finding points-near-a-point").
"""

from __future__ import annotations

from django.db import models

from pyros.analysis.models import MasterCalibration
from pyros.images.models import Image
from pyros.observations.models import Album, Plan, Request, Sequence
from pyros.programs.models import ScientificProgram


class Product(models.TextChoices):
    RAW = "RAW", "Raw frame"
    PROCESSED = "PROCESSED", "Calibrated frame"
    CATALOGUE = "CATALOGUE", "Source catalogue"
    MASTER = "MASTER", "Master calibration"


#: The folder of each product in ``{unit}/{channel}/{YYYYMMDD}/{folder}/``.
FOLDERS = {Product.RAW: "raw", Product.PROCESSED: "processed",
           Product.CATALOGUE: "processed", Product.MASTER: "cal"}
#: LCO's reduction levels: 0 as taken, 91 reduced by the pipeline.
RAW_LEVEL, REDUCED_LEVEL = 0, 91
CALIBRATION_TYPES = ("BIAS", "DARK", "FLAT")


class Previews(models.TextChoices):
    PENDING = "PENDING", "Not made yet"
    MADE = "MADE", "Made"
    NONE = "NONE", "None possible"


class ArchiveFrame(models.Model):
    basename = models.CharField(max_length=200, unique=True)
    path = models.CharField(max_length=500, unique=True,
                            help_text="relative to the archive's root")
    product = models.CharField(max_length=9, choices=Product.choices)
    reduction_level = models.PositiveSmallIntegerField(default=RAW_LEVEL)
    unit = models.CharField(max_length=100)
    channel = models.CharField(max_length=50)
    frame_type = models.CharField(max_length=5, help_text="LIGHT, BIAS, DARK, FLAT")
    night = models.DateField(help_text="the date of the night's evening")
    date_obs = models.DateTimeField(help_text="start of the exposure, or the middle of a "
                                              "master's frames (UTC)")
    exposure = models.FloatField(default=0.0, help_text="seconds")
    filter = models.CharField(max_length=50, blank=True)
    binning = models.PositiveSmallIntegerField(default=1)
    airmass = models.FloatField(null=True, blank=True)
    target_name = models.CharField(max_length=100, blank=True)
    ra = models.FloatField(null=True, blank=True, help_text="ICRS degrees of the centre")
    dec = models.FloatField(null=True, blank=True, help_text="ICRS degrees of the centre")
    x = models.FloatField(null=True, blank=True, help_text="the centre's unit vector")
    y = models.FloatField(null=True, blank=True)
    z = models.FloatField(null=True, blank=True)
    zone = models.SmallIntegerField(null=True, blank=True,
                                    help_text="the centre's declination zone (search.py)")
    program = models.ForeignKey(ScientificProgram, null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="frames")
    request = models.ForeignKey(Request, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="frames")
    sequence = models.ForeignKey(Sequence, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="frames")
    album = models.ForeignKey(Album, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="frames")
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="frames")
    image = models.ForeignKey(Image, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="archive_frames",
                              help_text="the raw frame's row (raw, calibrated, catalogue)")
    master = models.OneToOneField(MasterCalibration, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="archive_frame")
    size = models.BigIntegerField(help_text="bytes")
    sha256 = models.CharField(max_length=64)
    crc32 = models.BigIntegerField(null=True, blank=True,
                                   help_text="what a zip of it needs before its bytes")
    headers = models.JSONField(default=dict, blank=True, help_text="the primary header")
    public_date = models.DateTimeField(help_text="from then on, a public frame")
    ingested_at = models.DateTimeField()
    verified_at = models.DateTimeField(null=True, blank=True,
                                       help_text="when verify last found it intact")
    thumbnail = models.CharField(max_length=500, blank=True,
                                 help_text="PNG, relative to the previews' root")
    preview = models.CharField(max_length=500, blank=True)
    previews = models.CharField(max_length=7, choices=Previews.choices,
                                default=Previews.PENDING)

    class Meta:
        ordering = ["-date_obs", "-id"]
        indexes = [models.Index(fields=["zone", "ra"]), models.Index(fields=["night"]),
                   models.Index(fields=["date_obs"]), models.Index(fields=["target_name"]),
                   models.Index(fields=["program", "night"]),
                   models.Index(fields=["public_date"])]

    def __str__(self) -> str:
        return self.basename

    @property
    def is_calibration(self) -> bool:
        return self.frame_type in CALIBRATION_TYPES
