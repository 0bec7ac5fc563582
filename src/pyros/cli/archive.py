"""``pyros archive``: the archive's integrity and retention: ``verify`` the files against
the catalogue, ``prune`` what the retention rules name, ``replicate`` to a second root;
and ``adopt`` what was recorded before the archive existed.

Each exits 0 when all is well and 1 when anything is wrong, listing every problem on
standard output (so a cron job's mail says what), with the progress bar on standard
error (so ``--json`` stays parseable).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

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

from pyros.cli.context import require_database_ready, setup_django


@click.group()
def archive() -> None:
    """The image archive: check it, prune it, copy it to a second root."""


@contextmanager
def _bytes_bar(label: str, total: int, *, quiet: bool) -> Iterator[Progress]:
    """A progress bar in bytes on standard error; gone once done when ``quiet``."""
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
               TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=quiet) as progress:
        progress.add_task(label, total=max(total, 1))
        yield progress


def _size(count: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} B"


def _unit():
    from pyros.config.loader import active_config

    return active_config()


# --- adopt --------------------------------------------------------------------------------


@archive.command("adopt")
def adopt_command() -> None:
    """Catalogue every frame, master and calibrated frame PyROS recorded that the
    archive lacks (written before it had one, or missed by an ingest): moved into the
    archive's layout, given FITS checksums, catalogued. Exit 1 if a file is missing or
    could not be adopted."""
    setup_django()
    require_database_ready()
    from pyros.archive.adopt import adopt

    report = adopt(_unit(), progress=click.echo)
    for path in report.missing:
        click.echo(f"MISSING  {path}")
    for problem in report.failed:
        click.echo(f"FAILED   {problem}")
    if not report.ok:
        raise SystemExit(1)


# --- verify -------------------------------------------------------------------------------


@archive.command("verify")
@click.option("--night", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Only this night's files (the date of its evening), and orphans in its "
                   "folders.")
@click.option("--all", "everything", is_flag=True,
              help="Every catalogued file and the whole tree (the default).")
@click.option("--json", "as_json", is_flag=True, help="The report as JSON on standard output.")
def verify(night: datetime | None, everything: bool, as_json: bool) -> None:
    """Recompute the SHA-256 of every catalogued file and look for files no row names.

    MISSING: a row whose file is gone; CORRUPT: a file whose size or checksum differs
    from the catalogue's; ORPHAN: a file under the unit's tree that no row names (files
    being written, *.part, and the previews are not). Intact files get their
    verified_at. Without --night the whole archive is checked: corruption strikes old
    files, which a check of last night alone would never read. Exit 1 on any problem."""
    if night is not None and everything:
        raise click.UsageError("give --night DATE or --all, not both")
    setup_django()
    require_database_ready()
    from pyros.archive.verify import planned_bytes
    from pyros.archive.verify import verify as run

    unit = _unit()
    day = night.date() if night else None
    with _bytes_bar("verify", planned_bytes(day), quiet=as_json) as progress:
        task = progress.task_ids[0]
        report = run(unit, night=day, progress=lambda size: progress.advance(task, size))
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        for problem in report.problems:
            click.echo(f"{problem.kind.value:8} {problem.path}: {problem.detail}")
        summary = report.as_dict()
        click.echo(f"{report.files} files ({report.scope}), {_size(report.bytes)} read in "
                   f"{report.seconds:.1f} s ({report.mb_per_s:.0f} MB/s): "
                   f"{report.intact} intact, {summary['missing']} missing, "
                   f"{summary['corrupt']} corrupt, {summary['orphans']} orphans")
    if not report.ok:
        raise SystemExit(1)


# --- prune ----------------------------------------------------------------------------------


@archive.command("prune")
@click.option("--dry-run", is_flag=True, help="List what would be deleted and the bytes "
                                              "freed; delete nothing.")
def prune(dry_run: bool) -> None:
    """Delete what the retention rules of [archive.retention] name, and nothing else.

    Raw, calibrated and catalogue files older than their rule (days after the
    observation; 0 keeps for ever); masters older than theirs that no kept frame was
    calibrated with; the preview PNGs of frames older than the preview rule (remade on
    demand). Each file goes with its catalogue row; every deletion is logged in
    logs/archive-prune.log of the data directory. Exit 1 when a file could not be
    removed."""
    setup_django()
    require_database_ready()
    from pyros.archive import prune as pruning

    unit = _unit()
    planned = pruning.plan(unit)
    for path in planned.kept_masters:
        click.echo(f"kept MASTER {path}: a kept frame was calibrated with it")
    if dry_run:
        for doomed in planned.frames:
            click.echo(f"would delete {doomed.product} {doomed.path} ({_size(doomed.size)}, "
                       f"observed {doomed.date_obs:%Y-%m-%d}; {doomed.rule})")
        for stale in planned.previews:
            click.echo(f"would delete the previews of {stale.path} ({len(stale.files)} "
                       f"files, {_size(stale.size)})")
        click.echo(f"dry run: {len(planned.frames)} files and the previews of "
                   f"{len(planned.previews)} frames would go, {_size(planned.bytes)} "
                   f"({planned.bytes} bytes) freed")
        return
    report = pruning.apply(unit, planned, pruning.PruneLog(click.echo))
    click.echo(f"pruned: {report.frames} files and the previews of {report.previews} "
               f"frames, {_size(report.bytes)} ({report.bytes} bytes) freed"
               + (f"; {len(report.failures)} failures" if report.failures else ""))
    if not report.ok:
        raise SystemExit(1)


# --- replicate ------------------------------------------------------------------------------


@archive.command("replicate")
@click.option("--to", "to", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The replica's root (default: [archive] replica).")
def replicate(to: Path | None) -> None:
    """Copy every catalogued file the replica lacks, or holds wrong, to the replica root
    under the same path: written as .part, checked by its SHA-256 read back from the
    replica's disk, then renamed. A copy already right is skipped. Exit 1 when a file
    failed or no replica is configured."""
    setup_django()
    require_database_ready()
    from pyros.archive.replicate import ReplicaError, replica_root
    from pyros.archive.replicate import replicate as run
    from pyros.archive.verify import planned_bytes

    unit = _unit()
    try:
        target = replica_root(unit, to)
    except ReplicaError as exc:  # exit 1 with the reason, as the other commands do
        raise click.ClickException(str(exc)) from None
    with _bytes_bar("replicate", planned_bytes(), quiet=False) as progress:
        task = progress.task_ids[0]
        report = run(unit, target, progress=lambda size: progress.advance(task, size))
    for failure in report.failed:
        click.echo(f"FAILED {failure}")
    rate = report.bytes / 1e6 / report.seconds if report.seconds > 0 else 0.0
    click.echo(f"replica {report.target}: {report.copied} copied ({_size(report.bytes)}, "
               f"{rate:.0f} MB/s), {report.skipped} already there, {len(report.failed)} "
               f"failed")
    if not report.ok:
        raise SystemExit(1)
