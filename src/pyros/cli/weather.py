"""``pyros weather``: the current weather and safety decision, and their history, as the
monitoring agent stored them."""

from __future__ import annotations

import json

import click

from pyros.cli.context import require_database_ready, setup_django


@click.group()
def weather() -> None:
    """The weather and the safety decision, as the monitoring agent stored them."""


@weather.command("now")
@click.option("--json", "as_json", is_flag=True, help="The API's JSON (/api/weather/now/).")
def now(as_json: bool) -> None:
    """The latest decision (global status, reasons) and every weather value with the
    sensor it came from."""
    setup_django()
    require_database_ready()
    from pyros.monitoring.api import weather_now

    status = weather_now()
    safety = status.safety
    if as_json:
        click.echo(json.dumps(status.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return
    read = f"{status.time:%Y-%m-%d %H:%M:%S} UTC" if status.time else "never"
    verdict = "safe" if safety.safe else "UNSAFE"
    since = f" since {safety.since:%Y-%m-%d %H:%M:%S} UTC" if safety.since else ""
    click.echo(f"{safety.status} ({verdict}{since}), sky {safety.sky}; read {read}")
    if not safety.current:
        click.echo("the decision is stale: is the monitoring agent running?")
    for reason in safety.reasons:
        click.echo(f"  - {reason}")
    if safety.plc_error:
        click.echo(f"  PLC: {safety.plc_error}")
    for value in status.values:
        origin = value.source or "missing"
        if value.fallback:
            origin += " (fallback)"
        why = f"  [{value.reason}]" if value.reason else ""
        click.echo(f"{value.label:<16} {value.text:>14}  {origin}{why}")


@weather.command("history")
@click.option("--minutes", type=click.IntRange(1, 366 * 24 * 60), default=60,
              show_default=True, help="How far back.")
@click.option("--limit", type=click.IntRange(1), default=500, show_default=True,
              help="At most this many rows, the most recent.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per row, in a list.")
def history(minutes: int, limit: int, as_json: bool) -> None:
    """The stored weather rows of the last MINUTES, oldest first: time, global status,
    reasons and values (rows older than a day are thinned, see the retention policy)."""
    setup_django()
    require_database_ready()
    from datetime import timedelta

    from pyros import clock
    from pyros.monitoring.api import value_text
    from pyros.monitoring.models import WeatherWatch
    from pyros.monitoring.store import iso

    since = clock.now() - timedelta(minutes=minutes)
    rows = WeatherWatch.objects.filter(time__gte=since).order_by("-time", "-id")
    total = rows.count()
    shown = list(rows[:limit])[::-1]
    if as_json:
        click.echo(json.dumps([{
            "time": iso(row.time), "status": row.status, "safe": row.safe,
            "reasons": row.reasons, "sky": row.sky,
            "values": {q: v.get("value") for q, v in row.values.items()}}
            for row in shown], indent=2, ensure_ascii=False))
        return
    if total > len(shown):
        click.echo(f"({total - len(shown)} older rows not shown: raise --limit)")
    if not shown:
        click.echo(f"no weather stored in the last {minutes} minutes")
    for row in shown:
        values = ", ".join(f"{q} {value_text(q, v.get('value'))}"
                           for q, v in row.values.items())
        reasons = f"({'; '.join(row.reasons)})" if row.reasons else ""
        click.echo(f"{row.time:%Y-%m-%d %H:%M:%S}  {row.status:<9} {reasons}".rstrip())
        click.echo(f"    {values}")
