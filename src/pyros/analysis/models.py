"""What the pipeline made and found, per image: the master calibrations of each night,
each frame's analysis (its state in the queue, its figures, the masters it was
calibrated with, the file it wrote), and the transient candidates of alert frames.

The figures people sort and plot by (FWHM, zero point, background, sky brightness,
limiting magnitude) are columns; everything else the pipeline measured is in
``results``, in the shape of :func:`pyros.analysis.summary.summary`.
"""

from __future__ import annotations

from django.db import models

from pyros.images.models import Image


class MasterKind(models.TextChoices):
    BIAS = "BIAS", "Bias"
    DARK = "DARK", "Dark"
    FLAT = "FLAT", "Flat"


class MasterCalibration(models.Model):
    """A combined bias, dark or flat, with where it came from and how good it is."""

    kind = models.CharField(max_length=4, choices=MasterKind.choices)
    channel = models.CharField(max_length=50)
    binning = models.PositiveSmallIntegerField(default=1)
    filter = models.CharField(max_length=50, blank=True, help_text="flats only")
    exposure = models.FloatField(default=0.0, help_text="seconds (darks)")
    ccd_temperature = models.FloatField(null=True, blank=True, help_text="Celsius")
    night = models.DateField()
    date_obs = models.DateTimeField(help_text="the middle of its frames")
    path = models.CharField(max_length=500, unique=True)
    frame_count = models.PositiveIntegerField()
    frames = models.ManyToManyField(Image, related_name="masters_made")
    used = models.JSONField(default=dict, blank=True,
                            help_text="the masters it was made with (L1IDBIAS, L1IDDARK)")
    quality = models.JSONField(default=dict, blank=True,
                               help_text="bias level and read noise, dark current, flat "
                                         "level and uniformity")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-date_obs", "kind", "channel"]
        indexes = [models.Index(fields=["kind", "channel", "binning", "date_obs"])]

    def __str__(self) -> str:
        extra = f" {self.filter}" if self.filter else (f" {self.exposure:g} s"
                                                       if self.kind == MasterKind.DARK else "")
        return f"master {self.kind.lower()} {self.channel} bin {self.binning}{extra} " \
               f"({self.night})"


class AnalysisStatus(models.TextChoices):
    PENDING = "PENDING", "Waiting"
    DONE = "DONE", "Analysed"
    FAILED = "FAILED", "Failed"
    USED = "USED", "Used in a master"


class FrameAnalysis(models.Model):
    """One image's way through the pipeline."""

    image = models.OneToOneField(Image, on_delete=models.CASCADE, related_name="analysis")
    status = models.CharField(max_length=7, choices=AnalysisStatus.choices,
                              default=AnalysisStatus.PENDING)
    priority = models.SmallIntegerField(default=0, help_text="alert frames first (1)")
    queued_at = models.DateTimeField()
    analysed_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True, help_text="the pipeline's time")
    latency = models.FloatField(null=True, blank=True,
                                help_text="wall seconds from the end of the readout to the "
                                          "results")
    reason = models.TextField(blank=True, help_text="why it stopped, when it did")
    calibrated = models.BooleanField(default=False)
    solved = models.BooleanField(default=False)
    sources = models.PositiveIntegerField(null=True, blank=True)
    fwhm = models.FloatField(null=True, blank=True, help_text="arcsec")
    ellipticity = models.FloatField(null=True, blank=True)
    background = models.FloatField(null=True, blank=True, help_text="ADU")
    background_rms = models.FloatField(null=True, blank=True, help_text="ADU")
    sky_brightness = models.FloatField(null=True, blank=True, help_text="mag/arcsec²")
    zero_point = models.FloatField(null=True, blank=True, help_text="mag for 1 ADU/s")
    limiting_magnitude = models.FloatField(null=True, blank=True, help_text="5 sigma")
    astrometric_rms = models.FloatField(null=True, blank=True, help_text="arcsec")
    pointing_offset = models.FloatField(null=True, blank=True,
                                        help_text="arcsec: solved centre - header pointing")
    results = models.JSONField(default=dict, blank=True)
    bias = models.ForeignKey(MasterCalibration, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    dark = models.ForeignKey(MasterCalibration, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    flat = models.ForeignKey(MasterCalibration, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    calibrated_path = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-priority", "queued_at", "id"]
        indexes = [models.Index(fields=["status", "priority", "queued_at"])]

    def __str__(self) -> str:
        return f"analysis of {self.image} ({self.status})"


class CandidateKind(models.TextChoices):
    NEW = "NEW", "New source"
    BRIGHTER = "BRIGHTER", "Brighter than catalogued"


class Candidate(models.Model):
    """A source in an alert's error region that the reference catalogue does not
    explain: the transient, or a false alarm a person rules out from the cutouts."""

    analysis = models.ForeignKey(FrameAnalysis, on_delete=models.CASCADE,
                                 related_name="candidates")
    event = models.ForeignKey("alerts.AlertEvent", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="candidates")
    kind = models.CharField(max_length=8, choices=CandidateKind.choices)
    ra = models.FloatField(help_text="ICRS degrees")
    dec = models.FloatField(help_text="ICRS degrees")
    mag = models.FloatField()
    mag_err = models.FloatField()
    snr = models.FloatField()
    reference_mag = models.FloatField(null=True, blank=True)
    distance = models.FloatField(help_text="degrees from the error region's centre")
    new_cutout = models.CharField(max_length=500, blank=True)
    reference_cutout = models.CharField(max_length=500, blank=True)
    found_at = models.DateTimeField()

    class Meta:
        ordering = ["-snr", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.mag:.2f}±{self.mag_err:.2f} at {self.ra:.5f} {self.dec:+.5f}"
