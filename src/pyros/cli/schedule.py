"""``pyros schedule``: plan a night from a file without the database (simulate), show
tonight's plan, ask the scheduler agent to re-plan."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from pyros.cli.context import require_database_ready, setup_django


@click.group()
def schedule() -> None:
    """The night plan: simulate one from a file, show tonight's, re-plan."""


@schedule.command("simulate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--engine", type=click.Choice(["optimal", "fast"]), default="optimal",
              show_default=True, help="optimal: CP-SAT to the time limit; fast: greedy.")
@click.option("--time-limit", type=click.FloatRange(0.05, 3600.0), default=3.0,
              show_default=True, help="Seconds the optimal engine may search.")
@click.option("--json", "as_json", is_flag=True, help="The plan as JSON (docs/scheduling.md).")
def simulate(file: Path, engine: str, time_limit: float, as_json: bool) -> None:
    """Plan the sequences of FILE (JSON, see docs/scheduling.md) without touching the
    database, and print the plan. Without a site or overheads in the file, the unit
    configuration's are used."""
    from pyros.scheduling.planner import make_plan
    from pyros.scheduling.simulation import SimulationError, parse_simulation, result_json

    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"{file}: not a JSON file ({exc})") from exc
    site = overheads = None
    if not (isinstance(data, dict) and "site" in data and "overheads" in data):
        from pyros.config.loader import ConfigError, active_config
        from pyros.scheduling.unit import overheads_of, site_of

        try:
            unit = active_config()
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from exc
        site, overheads = site_of(unit), overheads_of(unit)
    try:
        problem = parse_simulation(data, default_site=site, default_overheads=overheads)
    except SimulationError as exc:
        raise click.ClickException(f"{file}: {exc}") from exc
    result = make_plan(problem, engine=engine, time_limit=time_limit)  # type: ignore[arg-type]
    if as_json:
        click.echo(json.dumps(result_json(result), indent=2))
        return
    console = Console()
    table = Table(title=f"Plan of the night of {problem.night} ({engine} engine)")
    for column in ("#", "sequence", "start (UTC)", "end (UTC)", "priority"):
        table.add_column(column)
    priorities = {s.id: s.priority for s in problem.sequences}
    for i, placement in enumerate(result.placements, 1):
        table.add_row(str(i), placement.id, f"{placement.start:%Y-%m-%d %H:%M:%S}",
                      f"{placement.end:%H:%M:%S}", str(priorities.get(placement.id, "")))
    console.print(table)
    quality = (f", {result.objective / result.bound:.2%} of the best bound {result.bound:.0f}"
               if result.bound else "")
    console.print(f"objective {result.objective:.0f}{quality}"
                  f"{' (optimal)' if result.proven_optimal else ''}; "
                  f"planned in {result.elapsed:.2f} s")
    if result.rejections:
        console.print(f"{len(result.rejections)} not planned:")
        for rejection in result.rejections:
            console.print(f"  {rejection.id}: {rejection.reason}", markup=False)


@schedule.command("show")
@click.option("--json", "as_json", is_flag=True)
def show(as_json: bool) -> None:
    """Tonight's plan as the scheduler agent last saved it."""
    setup_django()
    require_database_ready()
    from pyros.scheduling.api import schedule_payload, tonight, tonights_schedule

    current = tonights_schedule()  # the night every page means (scheduling.tonight)
    if current is None:
        raise click.ClickException(f"no plan for tonight (the night of {tonight()}) yet: "
                                   "is the scheduler agent running (pyros start scheduler)?")
    payload = schedule_payload(current)
    if as_json:
        click.echo(json.dumps(payload, indent=2, default=str))
        return
    click.echo(f"plan #{payload['id']} of the night of {payload['night']}, made "
               f"{payload['created_at']} ({payload['trigger']}: {payload['detail']})")
    for entry in payload["entries"]:
        click.echo(f"  {entry['start'][11:19]}–{entry['end'][11:19]}  #{entry['sequence']} "
                   f"{entry['name']} (priority {entry['priority']}, {entry['status']})")
    for item in payload["unplanned"]:
        click.echo(f"  not planned: #{item['sequence']} {item['name']}: {item['reason']}")


@schedule.command("replan")
@click.option("--reason", default="", help="Said in the plan's history.")
@click.option("--timeout", type=float, default=30.0, show_default=True)
def replan(reason: str, timeout: float) -> None:
    """Ask the scheduler agent to re-plan the rest of the night now."""
    setup_django()
    require_database_ready()
    from pyros.agents.bus import CommandError, send_command
    from pyros.agents.registry import check_command
    from pyros.agents.schema import BadArguments

    try:
        check_command("scheduler", "replan_now", {"reason": reason})
        handle = send_command("scheduler", "replan_now", validity=timeout, timeout=timeout,
                              reason=reason)
    except (CommandError, BadArguments) as exc:
        raise click.ClickException(str(exc)) from exc
    handle.wait(timeout)
    if handle.state != "EXECUTED":
        raise click.ClickException(f"the scheduler did not re-plan: {handle.state} "
                                   f"{handle.error or handle.result or ''}")
    click.echo(f"plan #{handle.result['schedule']}: {len(handle.result['plan'])} sequences")
