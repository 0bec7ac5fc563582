"""A night's report drawn: the page's body (the site's layout and stylesheets around it)
and the self-contained HTML file kept in the archive and mailed — the same body with
its stylesheets inside and its plots as inline SVG, so it reads anywhere, offline, in
ten years."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from pyros.health.report import NightReportData

#: The stylesheets the file carries inside it.
STYLESHEETS = ("pyros/pyros.css", "analysis/analysis.css", "majordome/majordome.css",
               "health/health.css")


@cache
def _css() -> str:
    parts = []
    for name in STYLESHEETS:
        found = finders.find(name)
        if found:
            parts.append(Path(found).read_text(encoding="utf-8"))
    return "\n".join(parts).replace("</", "<\\/")


def report_file_html(data: NightReportData) -> str:
    return render_to_string("health/report_file.html", {"r": data, "css": _css()})


def report_text(data: NightReportData, link: str) -> str:
    """The mail's plain-text part: the summary and where the whole report is."""
    lines = [f"PyROS night report, unit {data.unit}, night of {data.night}", ""]
    if data.timeline is not None:
        lines.append(f"Observing: {data.timeline.observing_share:.0%} of the night's log")
    lines += [f"Sequences executed: {data.executed} of {data.planned} planned, "
              f"{data.charged_hours:.2f} h charged",
              f"Frames: {data.frame_total}",
              f"Alerts: {len(data.alerts)}, faults: {len(data.faults)}, "
              f"safety events: {len(data.safety)}", ""]
    for item in [*data.warnings, *data.anomalies]:
        lines.append(f"! {item.message}")
    lines += ["", f"The report: {link}", "(the HTML part of this mail is the whole report)"]
    return "\n".join(lines)
