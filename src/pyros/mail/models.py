"""One row per mail to send, kept after it is sent (for a while) as its record."""

from __future__ import annotations

from django.db import models


class OutgoingMail(models.Model):
    """A mail to one recipient. ``next_attempt`` is both the back-off and the claim:
    whoever moves it forward with a conditional UPDATE is the only one sending it, so
    the page that queued it and the periodic retry never both send it."""

    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    html = models.TextField(blank=True, help_text="an HTML alternative of the body "
                                                  "(the morning report)")
    #: Why it is sent ("registration", "activation", "password reset" ...), for the PI.
    kind = models.CharField(max_length=40, blank=True)
    created = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["sent_at", "next_attempt"], name="mail_due")]

    def __str__(self) -> str:
        state = "sent" if self.sent_at else f"pending ({self.attempts} attempts)"
        return f"{self.subject!r} to {self.to}: {state}"
