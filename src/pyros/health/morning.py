"""Building a night's morning report: the night summarised (``summarise``), the report
gathered and drawn, its file written into the archive (aside, then renamed), its row
recorded, and — when asked — mailed. One function for the health agent and
``pyros report``."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pyros import clock
from pyros.archive import layout
from pyros.config.schema import UnitConfig
from pyros.health import mails
from pyros.health.models import NightReport
from pyros.health.render import report_file_html
from pyros.health.report import gather
from pyros.health.summarise import summarise_night

#: Beside the units' trees, like the previews: `pyros archive verify` does not walk it.
REPORTS = ".reports"


def report_path(unit: UnitConfig, night: date) -> Path:
    return layout.archive_root(unit) / REPORTS / layout.safe_name(unit.unit) / \
        f"night-{night:%Y%m%d}.html"


@dataclass(frozen=True)
class Built:
    report: NightReport
    mailed: int


def build_report(night: date, unit: UnitConfig, *, mail: bool = False) -> Built:
    """Summarise ``night``, write its report and record it; mail it to the subscribers
    when ``mail``. Building again replaces the file and the row (mailing again is asked
    for explicitly)."""
    began = time.perf_counter()
    summarise_night(night, unit)
    data = gather(night, unit)
    html = report_file_html(data)
    path = report_path(unit, night)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_text(html, encoding="utf-8")
    os.replace(partial, path)
    mailed = mails.mail_report(data, html) if mail else 0
    previous = NightReport.objects.filter(night=night).values_list("mailed_to",
                                                                   flat=True).first()
    report, _ = NightReport.objects.update_or_create(night=night, defaults={
        "path": str(path), "night_end": data.night_end, "built_at": clock.now(),
        "seconds": time.perf_counter() - began,
        "warnings": len(data.warnings) + len(data.anomalies),
        "mailed_to": mailed or previous or 0})
    return Built(report, mailed)
