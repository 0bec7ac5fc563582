"""``pyros demo``: a whole simulated night in a sandbox of its own (``pyros.demo``)."""

from __future__ import annotations

import json
import signal
from datetime import date
from pathlib import Path

import click

DEFAULT_NIGHT = "2026-12-21"


def _night(_ctx, _param, text: str) -> date:
    from pyros.demo.night import utc_date

    try:
        return utc_date(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date YYYY-MM-DD") from None


def _terminate(*_args) -> None:
    raise KeyboardInterrupt


@click.command()
@click.option("--night", default=DEFAULT_NIGHT, show_default=True, callback=_night,
              help="The evening's date (YYYY-MM-DD) of the night to run.")
@click.option("--speed", type=click.FloatRange(min=1.0, max=600.0), default=60.0,
              show_default=True, help="Simulated seconds per real second.")
@click.option("--keep", type=click.Path(file_okay=False, path_type=Path),
              help="Keep the night's data directory here (a new or empty folder); "
                   "without it, a temporary folder removed at the end.")
@click.option("--seed", type=click.IntRange(0, 2**31), default=1, show_default=True,
              help="The weather's and the requests' random seed.")
@click.option("--hours", type=click.FloatRange(min=1.0, max=24.0),
              help="Only this many hours of the night from dusk (a shortened demo).")
@click.option("--json", "as_json", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the summary to this JSON file.")
def demo(night: date, speed: float, keep: Path | None, seed: int, hours: float | None,
         as_json: Path | None) -> None:
    """Run a whole simulated night, dusk to dawn, that you can watch on the web site:
    programs, users and their requests, drifting weather with a rain shower, an alert
    in the middle of the night. Nothing of your own data directory or database is used.
    Ctrl-C stops it all."""
    from rich.console import Console

    from pyros.demo import console as screen
    from pyros.demo.night import DemoNight
    from pyros.demo.population import PROGRAMS, USER_PASSWORD
    from pyros.demo.sandbox import ADMIN_PASSWORD, SandboxError

    out = Console()
    try:
        run = DemoNight(night, speed, keep, seed, hours, say=lambda line: out.print(line))
    except SandboxError as exc:
        raise click.ClickException(str(exc)) from None
    signal.signal(signal.SIGTERM, _terminate)
    interrupted = False
    try:
        out.print(f"[bold]PyROS demo[/bold]: the night of {night} at {speed:g}× in "
                  f"{run.sandbox.home}")
        run.prepare()
        times = run.times
        out.print(f"night: {times.start:%H:%M} to {times.end:%H:%M} UTC ({times.hours:.1f} h, "
                  f"about {times.hours * 3600 / speed / 60:.0f} min here); starting PyROS…")
        run.start()
        observers = ", ".join(p.observer for p in PROGRAMS)
        out.print(f"[bold green]web site:[/] {run.web_url}observatory/  — log in as "
                  f"[bold]admin[/] / [bold]{ADMIN_PASSWORD}[/] (observers {observers} / "
                  f"{USER_PASSWORD})")
        screen.watch(run, out)
    except KeyboardInterrupt:
        interrupted = True
        out.print("[yellow]interrupted: stopping PyROS…[/]")
    except (RuntimeError, ValueError) as exc:
        run.stop()
        run.sandbox.remove()
        raise click.ClickException(str(exc)) from None
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the stop
        left = run.stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if left:
        out.print(f"processes that had to be killed: {left}")
    if run.times is not None and run.wall_started:
        summary = run.summary()
        screen.print_summary(out, summary, run.wall_seconds)
        if as_json:
            as_json.write_text(json.dumps({**summary.as_json(),
                                           "wall_seconds": run.wall_seconds,
                                           "home": str(run.sandbox.home),
                                           "web_url": run.web_url}, indent=1))
    if keep:
        out.print(f"the night is kept in {run.sandbox.home}: PYROS_HOME={run.sandbox.home} "
                  f"PYROS_CONFIG={run.sandbox.config} pyros start --sim-time … to look again")
    else:
        run.sandbox.remove()
    out.print("real operations: [bold]pyros init[/] then [bold]pyros start[/]")
    if interrupted:
        raise SystemExit(130)
