"""Re-running a night's analysis from the command line (`pyros analyse --night DATE`):
every image of the night queued again, the night's masters made anew from its
calibration frames, then every light frame analysed, with a progress bar. The analysis
agent would do the same over the night; this is for a changed configuration, a new
index, or a night taken while the agent was not running."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

import click
from django.db import transaction
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from pyros import clock
from pyros.analysis import store
from pyros.analysis.models import AnalysisStatus, Candidate, FrameAnalysis, MasterCalibration
from pyros.config.loader import active_config
from pyros.images.models import Image


def requeue_night(night: date) -> list[Image]:
    """Every image of the night PENDING again, its former candidates and the night's
    masters forgotten (their files are rewritten)."""
    images = list(Image.objects.filter(night=night).order_by("date_obs", "id"))
    now = clock.now()
    with transaction.atomic():
        Candidate.objects.filter(analysis__image__night=night).delete()
        MasterCalibration.objects.filter(night=night).delete()
        FrameAnalysis.objects.filter(image__night=night).update(
            status=AnalysisStatus.PENDING, reason="", queued_at=now)
        for image in images:
            FrameAnalysis.objects.get_or_create(image=image, defaults={"queued_at": now})
    return images


def reanalyse_night(night: date, *, as_json: bool = False) -> None:
    images = requeue_night(night)
    if not images:
        raise click.ClickException(f"no images recorded for the night of {night}")
    unit = active_config()
    calibration = [i for i in images if i.frame_type in store.CALIBRATION_TYPES]
    lights = FrameAnalysis.objects.filter(image__night=night, image__frame_type="LIGHT") \
        .select_related("image").order_by("-priority", "image__date_obs", "id")
    outcomes: Counter[str] = Counter()
    results = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())
    # On standard error, so that standard output stays the JSON or the summary.
    with Progress(*columns, console=Console(stderr=True), transient=as_json) as progress:
        keys = sorted({i.work_key for i in calibration})
        task = progress.add_task("masters", total=len(keys))
        masters = []
        for key in keys:
            masters += store.make_masters([i for i in calibration if i.work_key == key],
                                          unit)
            progress.advance(task)
        task = progress.add_task("frames", total=lights.count())
        for analysis in lights:
            done = store.analyse_image(analysis, unit)
            outcomes[done.status] += 1
            results.append({"image": Path(done.image.path).name, **done.results})
            progress.advance(task)
    if as_json:
        click.echo(json.dumps({"night": night.isoformat(), "masters": len(masters),
                               "frames": results}, indent=2))
        return
    click.echo(f"night of {night}: {len(masters)} masters from {len(calibration)} "
               f"calibration frames; {outcomes[AnalysisStatus.DONE]} frames analysed, "
               f"{outcomes[AnalysisStatus.FAILED]} failed")
    for master in masters:
        click.echo(f"  {master}: {master.frame_count} frames")
