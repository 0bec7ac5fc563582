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


#: Exit codes of `alert ingest` and `alert send` beyond 0 (done) and 1 (refused/failed).
EXIT_DUPLICATE = 2


@alert.command("ingest")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True,
              help="The normalised alert record and the decision with its reason.")
@click.option("--store", is_flag=True,
              help="Keep the packet and act on it (submit its request), as if it came "
                   "from the broker. Without it the packet is only read and judged: "
                   "nothing is stored, so sending it later is not a duplicate.")
def ingest(file: Path, as_json: bool, store: bool) -> None:
    """Read the VOEvent FILE and say what the intake would do with it: parse it, match
    it to its event, apply the active strategy. With --store it is also kept and, when
    accepted, its request is submitted (the scheduler agent, when running, plans it).
    Exits 1 when the packet is refused, 2 when it is a duplicate of one already
    received."""
    setup_django()
    require_database_ready()
    from pyros.alerts.store import ingest as ingest_packet
    from pyros.config.loader import active_config

    data = file.read_bytes()[:MAX_FILE + 1]
    result = ingest_packet(data, source=f"file {file.name}", unit=active_config(),
                           store=store)
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
        if result.request is not None and result.stored:
            click.echo(f"request #{result.request.pk} submitted")
        elif result.request is not None:
            click.echo(f"would submit a request of {result.sequences} sequence(s)")
        if not result.stored and not result.is_duplicate and result.decision != "REFUSED":
            click.echo("read only: nothing stored (--store keeps it and acts on it)")
    if result.decision == "REFUSED":
        raise SystemExit(1)
    if result.is_duplicate:
        raise SystemExit(EXIT_DUPLICATE)


def is_duplicate_answer(answer: str) -> bool:
    """A broker's nak for a packet it (Comet's own memory) or PyROS (the database) has
    already received."""
    from pyros.alerts.broker import DUPLICATE_MARK

    return DUPLICATE_MARK in answer or "Previously seen" in answer


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
    refuses unreadable packets and those already received). Exits 1 when one was
    refused, else 2 when one was a duplicate."""
    from pyros.alerts.transport import TransportError, send_packet

    target = _broker(host, port)
    packets = [file.read_bytes() for file in files]
    if redate:
        packets = _redated(packets)
    failed = duplicates = 0
    for file, data in zip(files, packets, strict=True):
        try:
            acknowledged, answer = send_packet(*target, data)
        except TransportError as exc:
            raise click.ClickException(str(exc)) from exc
        duplicate = not acknowledged and is_duplicate_answer(answer)
        duplicates += duplicate
        failed += not acknowledged and not duplicate
        click.echo(f"{file.name}: {'DUPLICATE ' if duplicate else ''}{answer}")
    if failed:
        raise SystemExit(1)
    if duplicates:
        raise SystemExit(EXIT_DUPLICATE)


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
