"""``pyros bench``: figures of PyROS's speed on this machine and database."""

from __future__ import annotations

import json

import click

from pyros.cli.context import require_database_ready, setup_django


@click.group()
def bench() -> None:
    """Benchmarks (figures, never pass/fail)."""


@bench.command("commands")
@click.option("--json", "as_json", is_flag=True)
@click.option("--round-trips", type=click.IntRange(10, 100_000), default=500, show_default=True)
@click.option("--throughput", type=click.IntRange(10, 1_000_000), default=2000,
              show_default=True, help="Commands sent back to back.")
def commands(as_json: bool, round_trips: int, throughput: int) -> None:
    """Command round-trip latency (p50, p99) and throughput on the configured database."""
    setup_django()
    require_database_ready()
    from pyros.agents.bench import run_command_bench

    report = run_command_bench(round_trips, throughput,
                               progress=lambda m: None if as_json else click.echo(m))
    if as_json:
        click.echo(json.dumps(report.as_dict()))
        return
    for key, value in report.as_dict().items():
        click.echo(f"{key:<20} {value}")
