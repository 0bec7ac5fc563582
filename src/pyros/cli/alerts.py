"""``pyros alert``: feed a VOEvent packet to the alert intake by hand."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pyros.cli.context import require_database_ready, setup_django

MAX_FILE = 1 << 20


@click.group()
def alert() -> None:
    """Alerts (VOEvents): ingest a packet, see what was decided."""


@alert.command("ingest")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True,
              help="The normalised alert record and the decision with its reason.")
def ingest(file: Path, as_json: bool) -> None:
    """Read the VOEvent FILE as if it came from the broker: parse it, match it to its
    event, apply the active strategy and, when accepted, submit the request (the
    scheduler agent, when running, plans it). Exits 1 when the packet is refused."""
    setup_django()
    require_database_ready()
    from pyros.alerts.store import ingest as ingest_packet
    from pyros.config.loader import active_config

    data = file.read_bytes()[:MAX_FILE + 1]
    result = ingest_packet(data, source=f"file {file.name}", unit=active_config())
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
    else:
        record = result.record or {}
        if record:
            where = (f"{record['ra']:.4f} {record['dec']:+.4f} ± {record['error_radius']:.4f}°"
                     if record.get("has_position") else "no position")
            click.echo(f"{record['ivorn']}\n  {record['mission']} {record['notice_type']} "
                       f"trigger {record['trigger_id']}, {record['event_time']}, {where}")
        click.echo(f"{result.decision}: {result.reason}")
        if result.request is not None:
            click.echo(f"request #{result.request.pk} submitted")
    if result.decision == "REFUSED":
        raise SystemExit(1)


def _broker(host: str | None, port: int | None) -> tuple[str, int]:
    from pyros.config.loader import ConfigError, active_config

    try:
        intake = active_config().alerts
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    return host or intake.host, port or intake.port


_REDATE_HELP = ("Move the packets' times together so that the earliest is now (the run's "
                "clock): a real archived alert, judged as if it had just happened.")


def _redated(packets: list[bytes]) -> list[bytes]:
    from pyros import clock
    from pyros.alerts.redate import redate_to
    from pyros.alerts.voevent import VOEventError

    try:
        return redate_to(packets, clock.now())
    except VOEventError as exc:
        raise click.ClickException(f"cannot move the packets in time: {exc}") from exc


@alert.command("send")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--host", help="The broker (default: the configuration's alerts.host).")
@click.option("--port", type=click.IntRange(1, 65535), help="Default: alerts.port.")
@click.option("--redate", is_flag=True, help=_REDATE_HELP)
def send(files: tuple[Path, ...], host: str | None, port: int | None, redate: bool) -> None:
    """Publish VOEvent FILES through the local broker, as a mission would (the broker
    checks the schema and refuses packets it has already seen)."""
    from pyros.alerts.transport import TransportError, send_packet

    target = _broker(host, port)
    packets = [file.read_bytes() for file in files]
    if redate:
        packets = _redated(packets)
    failed = 0
    for file, data in zip(files, packets, strict=True):
        try:
            acknowledged, answer = send_packet(*target, data)
        except TransportError as exc:
            raise click.ClickException(str(exc)) from exc
        failed += not acknowledged
        click.echo(f"{file.name}: {answer}")
    if failed:
        raise SystemExit(1)


@alert.command("replay")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--speed", type=click.FloatRange(min=0.0, min_open=True), default=1.0,
              show_default=True, help="How many times faster than the original spacing.")
@click.option("--host", help="The broker (default: the configuration's alerts.host).")
@click.option("--port", type=click.IntRange(1, 65535), help="Default: alerts.port.")
@click.option("--redate", is_flag=True, help=_REDATE_HELP)
def replay(folder: Path, speed: float, host: str | None, port: int | None,
           redate: bool) -> None:
    """Send the packets of FOLDER (*.xml) through the local broker in the order they
    were issued, with their original spacing divided by --speed."""
    import time

    from pyros.alerts.transport import TransportError, send_packet
    from pyros.alerts.voevent import VOEventError, parse_voevent

    packets = []
    for file in sorted(folder.glob("*.xml")):
        data = file.read_bytes()
        try:
            parsed = parse_voevent(data)
        except VOEventError as exc:
            click.echo(f"{file.name}: skipped ({exc})")
            continue
        issued = parsed.issued or parsed.event_time
        packets.append((issued.timestamp() if issued else 0.0, file.name, data))
    packets.sort()
    if redate:
        moved = _redated([data for _, _, data in packets])
        packets = [(issued, name, data)
                   for (issued, name, _), data in zip(packets, moved, strict=True)]
    target = _broker(host, port)
    began, first = time.monotonic(), packets[0][0] if packets else 0.0
    for issued, name, data in packets:
        wait = (issued - first) / speed - (time.monotonic() - began)
        if wait > 0:
            time.sleep(wait)
        try:
            _, answer = send_packet(*target, data)
        except TransportError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"{name}: {answer}")
