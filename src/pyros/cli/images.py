"""``pyros images``: find the archive's frames and copy them out, as a user.

The acting user is chosen as for ``pyros request import``: ``--user``, else
``$PYROS_USER``, else ``admin``; they must be active, and they see and get exactly what
the archive's rights rule (:func:`pyros.archive.access.visible_frames`) gives them on
the web site and through the API. A frame one may not see is reported exactly like one
that does not exist.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from pyros.cli.context import require_database_ready, setup_django

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from pyros.archive.models import ArchiveFrame

PRODUCTS = click.Choice(["RAW", "PROCESSED", "CATALOGUE", "MASTER"], case_sensitive=False)
user_option = click.option(
    "--user", "username", default=lambda: os.environ.get("PYROS_USER", "admin"),
    show_default="$PYROS_USER or admin", help="Act as this user: see what they may see.")


def _visible(username: str) -> QuerySet[ArchiveFrame]:
    """The frames ``username`` may see; a ClickException when there is no such user."""
    setup_django()
    require_database_ready()
    from pyros.accounts.models import User
    from pyros.archive.access import visible_frames
    from pyros.config.loader import active_config

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise click.ClickException(f"no active user '{username}' (give one with --user)")
    return visible_frames(user, active_config())


def _row(frame: ArchiveFrame) -> dict[str, Any]:
    return {"id": frame.pk, "basename": frame.basename, "product": frame.product,
            "frame_type": frame.frame_type, "channel": frame.channel,
            "night": frame.night.isoformat(),
            "date_obs": frame.date_obs.isoformat().replace("+00:00", "Z"),
            "exposure": frame.exposure, "filter": frame.filter,
            "target_name": frame.target_name, "ra": frame.ra, "dec": frame.dec,
            "program": frame.program.name if frame.program_id else None,
            "request": frame.request_id, "size": frame.size, "sha256": frame.sha256}


TABLE = ("id", "basename", "product", "type", "taken (UTC)", "filter", "exp", "target",
         "request", "size")
RIGHT = ("id", "exp", "request", "size")


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000:
            return f"{value:.3g} {unit}"
        value /= 1000
    return f"{value:.3g} TB"


def _cells(row: dict[str, Any]) -> list[str]:
    """A row of the table, short enough for a terminal (the JSON has everything)."""
    return [str(row["id"]), row["basename"], row["product"], row["frame_type"],
            row["date_obs"][:16].replace("T", " "), row["filter"], f"{row['exposure']:g}",
            row["target_name"], "" if row["request"] is None else str(row["request"]),
            _size(row["size"])]


@click.group()
def images() -> None:
    """The image archive: list frames, copy them out with their checksums verified."""


@images.command("list")
@click.option("--night", type=click.DateTime(["%Y-%m-%d"]), help="Only this night (its "
              "evening's date).")
@click.option("--request", "request_id", type=click.IntRange(min=1),
              help="Only this request's frames.")
@click.option("--target", help="Only targets whose name contains this (any case).")
@click.option("--product", type=PRODUCTS, help="Only raw frames, calibrated ones, ...")
@click.option("--limit", type=click.IntRange(1, 100_000), default=1000, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@user_option
def list_images(night: datetime | None, request_id: int | None, target: str | None,
                product: str | None, limit: int, as_json: bool, username: str) -> None:
    """The frames you may see, newest first."""
    frames = _visible(username)
    from pyros.archive.search import Filters, SearchError

    day = night.date() if night else None
    try:
        frames = Filters(night_from=day, night_to=day, request=request_id,
                         target=target or "", product=(product or "").upper()).apply(frames)
    except SearchError as exc:
        raise click.ClickException(str(exc)) from exc
    rows = [_row(f) for f in frames.select_related("program").defer("headers")[:limit]]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"{len(rows)} frame{'s' if len(rows) != 1 else ''}")
    widest = max((len(r["basename"]) for r in rows), default=8)
    for column in TABLE:
        # The name whole, whatever the terminal's width: it is what one copies.
        table.add_column(column, justify="right" if column in RIGHT else "left",
                         no_wrap=column in ("basename", "taken (UTC)"),
                         min_width=widest if column == "basename" else None)
    for row in rows:
        table.add_row(*_cells(row))
    console = Console()
    if not console.is_terminal:  # a pipe or a file: rich would squeeze it into 80 columns
        console = Console(width=max(160, widest + 100))
    console.print(table)


def _chosen(frames: QuerySet[ArchiveFrame], ids: tuple[int, ...], request_id: int | None,
            product: str | None) -> list[ArchiveFrame]:
    if bool(ids) == (request_id is not None):
        raise click.UsageError("give frame IDS or --request N")
    if ids:
        found = {f.pk: f for f in frames.filter(pk__in=ids)}
        missing = [str(i) for i in dict.fromkeys(ids) if i not in found]
        if missing:
            raise click.ClickException(f"no frame {', '.join(missing)} that you may see: "
                                       "nothing copied")
        return [found[i] for i in dict.fromkeys(ids)]
    selected = frames.filter(request_id=request_id)
    if product:
        selected = selected.filter(product=product.upper())
    chosen = list(selected.order_by("date_obs", "id"))
    if not chosen:
        raise click.ClickException(f"no frame of request {request_id} that you may see")
    return chosen


@images.command("get")
@click.argument("ids", nargs=-1, type=click.IntRange(min=1))
@click.option("--request", "request_id", type=click.IntRange(min=1),
              help="Every frame of this request you may see.")
@click.option("--product", type=PRODUCTS, help="With --request: only this product.")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              default=Path("."), show_default=True, help="Copy into this folder.")
@user_option
def get_images(ids: tuple[int, ...], request_id: int | None, product: str | None,
               output: Path, username: str) -> None:
    """Copy frames IDS (or a request's) into a folder, each checked against the
    catalogue's SHA-256; exit 1 if one could not be, leaving no partial file."""
    from pyros.archive import layout
    from pyros.archive.delivery import CopyFailed, copy_verified
    from pyros.config.loader import active_config

    chosen = _chosen(_visible(username), ids, request_id, product)
    output.mkdir(parents=True, exist_ok=True)
    unit, failures, console = active_config(), [], Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
               TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(f"{len(chosen)} files", total=sum(f.size for f in chosen))
        for frame in chosen:
            progress.update(task, description=frame.basename)
            try:
                copy_verified(layout.absolute(unit, frame.path), output / frame.basename,
                              frame.sha256, lambda n: progress.advance(task, n))
            except (CopyFailed, layout.LayoutError) as exc:
                failures.append(str(exc))
                progress.console.print(f"[red]not copied[/red] {exc}")
    copied = len(chosen) - len(failures)
    click.echo(f"{copied} of {len(chosen)} files copied to {output}, SHA-256 verified")
    if failures:
        raise click.ClickException(f"{len(failures)} file(s) not copied: "
                                   + "; ".join(failures))
