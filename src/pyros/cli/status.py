"""``pyros status``: what runs here (the supervisor, the web server, every agent) and on
which clock, readable in an 80-column terminal: the agents' table folds its cells
rather than cutting them, and a simulated clock is said in words (its time and speed).
"""

from __future__ import annotations

import json
import sys
from datetime import datetime

import click

from pyros.cli.context import setup_django
from pyros.cli.server import _alive_pid, _answers, _supervisor_pid_file, _url_file


def clock_report() -> dict:
    """The clock this data directory's run follows (``pyros start --sim-time`` leaves
    it in ``run/clock.json``, which every ``pyros`` command installs)."""
    from pyros import clock

    current = clock.get_clock()
    speed = getattr(current, "speed", None)
    return {"simulated": isinstance(current, clock.SimulatedClock),
            "now": clock.now().isoformat(timespec="seconds"),
            "speed": speed if isinstance(current, clock.SimulatedClock) else 1.0}


def clock_line(report: dict) -> str:
    now = datetime.fromisoformat(report["now"])
    if not report["simulated"]:
        return f"clock: real time, {now:%Y-%m-%d %H:%M:%S} UTC"
    return (f"clock: SIMULATED time {now:%Y-%m-%d %H:%M:%S} UTC, {report['speed']:g}x "
            "(pyros start --sim-time)")


def human_seconds(seconds: float | None) -> str:
    """``45 s``, ``12 min``, ``3 h 05``, ``2 d 04 h``: short enough for a narrow table."""
    if seconds is None:
        return "-"
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d}"
    return f"{seconds // 86400} d {seconds % 86400 // 3600:02d} h"


def status_report() -> dict:
    from django.db.utils import DatabaseError

    from pyros import clock

    pid = _alive_pid(_supervisor_pid_file())
    url = _url_file().read_text().strip() if pid and _url_file().exists() else ""
    report = {"supervisor": {"running": pid is not None, "pid": pid},
              "web": {"url": url or None, "answering": bool(url) and _answers(url)},
              "clock": clock_report(), "agents": []}
    try:
        from pyros.agents.models import AgentSurvey

        now = clock.now()
        for survey in AgentSurvey.objects.all():
            alive = survey.is_alive(now)
            report["agents"].append({
                "name": survey.name, "computer": survey.computer, "alive": alive,
                "pid": survey.pid, "mode": survey.mode, "status": survey.status,
                "uptime": round((now - survey.started_at).total_seconds(), 1)
                if alive and survey.started_at else None,
                "restarts": survey.restarts,
                "last_beat": survey.last_beat.isoformat() if survey.last_beat else None,
                "beat_age": round((now - survey.last_beat).total_seconds(), 1)
                if survey.last_beat else None})
    except DatabaseError as exc:
        report["database_error"] = str(exc)
    return report


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(as_json: bool) -> None:
    """Say what runs: the supervisor, the web server and every agent (state, pid,
    uptime, restarts, last heartbeat). Exits 3 when the supervisor is not running."""
    setup_django()
    report = status_report()
    if as_json:
        click.echo(json.dumps(report))
    else:
        print_status(report)
    if not report["supervisor"]["running"]:
        sys.exit(3)


def print_status(report: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    sup, web = report["supervisor"], report["web"]
    click.echo(f"supervisor: running (pid {sup['pid']})" if sup["running"]
               else "supervisor: stopped")
    if web["url"]:
        click.echo(f"web: {web['url']} {'answering' if web['answering'] else 'NOT answering'}")
    click.echo(clock_line(report["clock"]))
    if not report["agents"]:
        return
    # Folded cells, never cut ones: an 80-column terminal shows a tall table, not "…".
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column, justify in (("agent", "left"), ("computer", "left"), ("state", "left"),
                            ("pid", "right"), ("mode", "left"), ("status", "left"),
                            ("up", "right"), ("restarts", "right"),
                            ("last beat", "right")):
        table.add_column(column, justify=justify, overflow="fold",
                         min_width=16 if column == "status" else None)
    for a in report["agents"]:
        table.add_row(a["name"], a["computer"], "alive" if a["alive"] else "DEAD",
                      str(a["pid"] or "-"), a["mode"], a["status"],
                      human_seconds(a["uptime"]), str(a["restarts"]),
                      f"{human_seconds(a['beat_age'])} ago" if a["beat_age"] is not None
                      else "never")
    Console(soft_wrap=False).print(table)
