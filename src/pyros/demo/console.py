"""The demo in the terminal (rich): a progress bar over the night with the clock, the
majordome's state and the safety, the night log's state changes as they happen, and
the summary at the end."""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pyros.demo.night import ANALYSIS_WAIT, POLL, DemoNight
from pyros.demo.night import Progress as NightProgress
from pyros.demo.summary import NightSummary


def progress_bar(console: Console) -> Progress:
    return Progress(TextColumn("{task.fields[clock]}"), BarColumn(),
                    TextColumn("{task.percentage:>3.0f}%"),
                    TextColumn("{task.fields[state]}"), TimeElapsedColumn(),
                    console=console, transient=False)


def describe(night: DemoNight, seen: NightProgress) -> dict[str, str]:
    state = f"[bold]{seen.state}[/bold] · {seen.safety}"
    if seen.work:
        state += f" · {seen.work[:40]}"
    state += f" · {seen.sequences_done} seq · {seen.images} frames"
    return {"clock": f"{seen.now:%H:%M} UTC", "state": state}


def watch(night: DemoNight, console: Console) -> None:
    """Follow the night until it is over, sending the alert when due."""
    times = night.times
    assert times is not None
    total = (times.end - times.start).total_seconds()
    with progress_bar(console) as bar:
        task = bar.add_task("night", total=total, clock="", state="starting")
        while True:
            seen = night.look()
            for line in seen.new_log:
                bar.console.print(f"  {line}")
            if night.due_alert():
                bar.console.print(f"  [bold magenta]{seen.now:%H:%M} ALERT[/] "
                                  f"{night.alert.name if night.alert else ''} sent to the "
                                  "local broker")
            done = min(total, max(0.0, (seen.now - times.start).total_seconds()))
            bar.update(task, completed=done, **describe(night, seen))
            if night.is_over(seen):
                night.end_of_night()
                break
            time.sleep(POLL)
        waiting_since = time.monotonic()
        while night.alert_frames_waiting() and \
                time.monotonic() - waiting_since < ANALYSIS_WAIT:
            bar.update(task, state=f"analysing the alert's frames "
                       f"({night.alert_frames_waiting()} to go)")
            time.sleep(POLL)


def _seconds(value: float | None, speed: float) -> str:
    if value is None:
        return "-"
    return f"{value:.0f} s of the night ({value / speed:.1f} s real)"


def print_summary(console: Console, summary: NightSummary, wall_seconds: float) -> None:
    table = Table(title="The night", show_header=False)
    table.add_column("what")
    table.add_column("figure")
    periods = ", ".join(f"{start:%H:%M}–{end:%H:%M}" if end else f"{start:%H:%M}–"
                        for start, end in summary.open_periods) or "never opened"
    table.add_row("dome open (UTC)", f"{periods} ({summary.open_hours:.1f} h)")
    table.add_row("closings", "; ".join(summary.closed_for) or "-")
    sequences = summary.sequences
    table.add_row("sequences", ", ".join(f"{status.lower()} {count}" for status, count in
                                          sorted(sequences.items())) or "-")
    table.add_row("images", ", ".join(f"{kind.lower()} {count}" for kind, count in
                                       sorted(summary.images.items())) or "-")
    table.add_row("frames analysed", str(summary.analysed))
    alert = summary.alert
    if alert.ivorn:
        table.add_row("alert", f"{alert.ivorn} {alert.decision.lower()}")
        table.add_row("alert → slew", _seconds(alert.slew_after, summary.speed))
        table.add_row("alert → first frame", _seconds(alert.first_frame_after, summary.speed))
        table.add_row("candidates", f"{alert.candidates} {alert.best_candidate}".strip())
    table.add_row("wall time", f"{wall_seconds / 60:.1f} min at {summary.speed:g}×")
    console.print(table)
