"""Every version of the unit configuration saved through the page (or found changed on
disk before a save), with who saved it and what the running processes did about it."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ConfigVersion(models.Model):
    """One saved text of the unit file. Versions are never edited: the file on disk is
    the latest one, and the text is kept whole (secrets included, masked on display) so
    that any version can be looked at again or restored."""

    number = models.PositiveIntegerField(unique=True)
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+",
                               help_text="empty: found on disk, edited outside the page")
    saved_at = models.DateTimeField()
    comment = models.CharField(max_length=500, blank=True)
    path = models.CharField(max_length=1000, help_text="the file it was written to")
    #: What each process did when told (see configpage.reload): {"agents": [...], ...}
    reload_report = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"configuration v{self.number}"
