"""Autofocus runs in the database, and what the majordome needs of them: the last good
focus, whether it was tonight, at what temperature."""

from __future__ import annotations

from datetime import datetime

from pyros.focus.due import LastFocus
from pyros.focus.models import FocusRun
from pyros.focus.sweep import FocusOutcome


def save_run(outcome: FocusOutcome, reason: str) -> FocusRun:
    curve = outcome.curve
    return FocusRun.objects.create(
        started_at=outcome.started, ended_at=outcome.ended or outcome.started,
        focuser=outcome.focuser, channel=outcome.channel, reason=reason[:100],
        succeeded=outcome.succeeded, position=outcome.position,
        position_error=None if curve is None else curve.best_error,
        best_fwhm=outcome.confirmed_fwhm if outcome.confirmed_fwhm is not None
        else (None if curve is None else curve.best_fwhm),
        temperature=outcome.temperature, exposures=outcome.exposures,
        points=[[p, f] for p, f in outcome.points], message=outcome.message)


def last_focus(night_started: datetime) -> LastFocus | None:
    """The last good focus; ``tonight`` if it was taken after ``night_started``."""
    run = FocusRun.objects.filter(succeeded=True).first()
    if run is None:
        return None
    return LastFocus(tonight=run.started_at >= night_started, temperature=run.temperature)
