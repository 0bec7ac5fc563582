"""``pyros agent``: send commands to agents, list them, read their logs."""

from __future__ import annotations

import json
import logging
import sys
import time

import click

from pyros.cli.context import require_database_ready, setup_django


def parse_arguments(pairs: tuple[str, ...]) -> dict:
    """``k=v`` pairs; a value that is valid JSON (a number, true, a list...) is taken as
    such, anything else as a string."""
    args = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.isidentifier():
            raise click.BadParameter(f"'{pair}' is not key=value", param_hint="ARGS")
        try:
            args[key] = json.loads(value)
        except json.JSONDecodeError:
            args[key] = value
    return args


@click.group()
def agent() -> None:
    """Agents: send them commands, list them, read their logs."""


@agent.command("send")
@click.argument("recipient")
@click.argument("command_name", metavar="COMMAND")
@click.argument("args", nargs=-1)
@click.option("--wait", "wait_seconds", type=float, default=10.0, show_default=True,
              help="Seconds to wait for the result (0: do not wait).")
@click.option("--validity", type=float, default=60.0, show_default=True,
              help="Seconds the command may wait to be read before it expires.")
@click.option("--timeout", type=float, default=30.0, show_default=True,
              help="Seconds it may run.")
def send(recipient: str, command_name: str, args: tuple[str, ...], wait_seconds: float,
         validity: float, timeout: float) -> None:
    """Send COMMAND to agent RECIPIENT with ARGS (k=v ...) and print its result.

    Exits 1 if the command ended otherwise than EXECUTED, 2 if it had not ended
    when the wait ran out."""
    setup_django()
    require_database_ready()
    from pyros.agents.bus import CommandError, send_command
    from pyros.agents.registry import check_command
    from pyros.agents.schema import BadArguments
    from pyros.agents.states import CommandState

    arguments = parse_arguments(args)
    try:
        check_command(recipient, command_name, arguments)
        handle = send_command(recipient, command_name, sender="cli", validity=validity,
                              timeout=timeout, **arguments)
    except (CommandError, BadArguments) as exc:
        raise click.ClickException(str(exc)) from exc
    if wait_seconds <= 0:
        click.echo(f"command #{handle.id} sent")
        return
    handle.wait(wait_seconds)
    if handle.state == CommandState.EXECUTED:
        click.echo(json.dumps(handle.result))
        return
    detail = f": {handle.error}" if handle.error else ""
    click.echo(f"command #{handle.id} {handle.state}{detail}", err=True)
    sys.exit(1 if handle.done else 2)


@agent.command("commands")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Each command's JSON schema.")
def list_commands(name: str | None, as_json: bool) -> None:
    """The commands agent NAME answers, and their arguments: what the agent checks
    before running one. Without NAME: the generic commands every agent answers, then
    each agent's own."""
    setup_django()
    from pyros.agents.agent import Agent
    from pyros.agents.registry import AGENTS, UnknownAgent, commands_of
    from pyros.agents.schema import command_specs

    try:
        listing = {name: commands_of(name)} if name else {
            "every agent": command_specs(Agent),
            **{agent: {command: spec for command, spec in commands_of(agent).items()
                       if command not in command_specs(Agent)} for agent in sorted(AGENTS)}}
    except UnknownAgent as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps({agent: {command: {"generic": spec.generic,
                                                  "summary": spec.summary,
                                                  "arguments": spec.json_schema()}
                                       for command, spec in sorted(specs.items())}
                               for agent, specs in listing.items()}, default=str))
        return
    from pyros.agents.schema import summary_line

    for agent_name, specs in listing.items():
        click.echo(f"{agent_name}:")
        for command_name, spec in sorted(specs.items(), key=lambda i: (i[1].generic, i[0])):
            kind = "generic" if spec.generic else "specific"
            click.echo(f"  {command_name} ({kind}){': ' + spec.summary if spec.summary else ''}")
            for argument in spec.arguments():
                click.echo(f"      {summary_line(argument)}")


@agent.command("list")
@click.option("--json", "as_json", is_flag=True)
def list_agents(as_json: bool) -> None:
    """Every agent that ever beat: alive or dead, mode, status, last heartbeat."""
    setup_django()
    require_database_ready()
    from pyros.cli.status import status_report

    rows = status_report()["agents"]
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        click.echo(f"{row['name']}@{row['computer']}: {'alive' if row['alive'] else 'dead'}, "
                   f"pid {row['pid']}, {row['mode']}, {row['status']}, "
                   f"restarts {row['restarts']}, last beat {row['last_beat']}")


@agent.command("logs")
@click.argument("name")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines (Ctrl-C stops).")
@click.option("--lines", "-n", type=int, default=50, show_default=True)
@click.option("--level", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
                                           case_sensitive=False), default="DEBUG")
def logs(name: str, follow: bool, lines: int, level: str) -> None:
    """Print agent NAME's log from the database."""
    setup_django()
    require_database_ready()
    from pyros.agents.models import AgentLog

    query = AgentLog.objects.filter(agent=name, level__gte=logging.getLevelName(level.upper()))
    last_id = 0
    recent = list(query.order_by("-id")[:lines])[::-1]
    while True:
        for entry in recent:
            click.echo(f"{entry.created_at:%Y-%m-%d %H:%M:%S} "
                       f"{logging.getLevelName(entry.level):<8} {entry.message}")
            last_id = entry.pk
        if not follow:
            return
        time.sleep(0.5)
        recent = list(query.filter(pk__gt=last_id).order_by("id")[:1000])
