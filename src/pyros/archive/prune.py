"""Retention (`pyros archive prune`): what the ``[archive.retention]`` rules name, and
only that, is deleted.

The rules, each in days after the observation (``date_obs``), 0 keeping for ever:

- ``raw``, ``processed``, ``catalogue``: a file of that product older than its rule;
- ``master``: a master calibration older than its rule **and** used by no kept frame
  (a raw, calibrated or catalogue frame whose analysis took it as its bias, dark or
  flat, and which this run keeps): a kept raw frame can always be calibrated again
  with the masters it was calibrated with;
- ``preview``: the thumbnail and preview PNGs of a frame older than the rule; the
  frame's row forgets them (``previews`` PENDING again), and ``ingest.previews_of``
  remakes them when someone asks. The analysis agent's idle loop only makes previews
  of frames younger than the rule, so it does not undo the pruning.

A frame's row and its file go together. The row is deleted first, in a transaction,
and the file unlinked once it is committed: a crash or a refused unlink in between
leaves a file that no row names, which ``pyros archive verify`` reports as an ORPHAN,
and which is invisible to users meanwhile. The other order could leave a row whose file
is gone: a frame offered for download that cannot be delivered, only found at the next
verify. The files of a frame's previews go with it.

Every deletion is a line in ``logs/archive-prune.log`` of the data directory and on the
console; ``--dry-run`` plans the same and deletes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.db import transaction
from django.db.models import Q, QuerySet

from pyros import clock, paths
from pyros.archive import layout
from pyros.archive.models import ArchiveFrame, Previews, Product
from pyros.config.archive import Retention
from pyros.config.schema import UnitConfig

#: Rows deleted in one transaction (their files unlinked after its commit).
BATCH = 200
LOG_NAME = "archive-prune.log"
#: The retention rule of each product.
RULES = {Product.RAW: "raw", Product.PROCESSED: "processed",
         Product.CATALOGUE: "catalogue", Product.MASTER: "master"}
USES = ("bias", "dark", "flat")


@dataclass(frozen=True)
class Doomed:
    """A catalogued file a rule names."""

    frame_id: int
    path: str  # relative to the archive root
    product: str
    size: int
    date_obs: datetime
    rule: str  # "raw: 3650 d"
    previews: tuple[str, ...] = ()  # its PNG files, relative to the previews' root


@dataclass(frozen=True)
class StalePreviews:
    """A kept frame whose previews the ``preview`` rule names."""

    frame_id: int
    path: str
    files: tuple[str, ...]  # relative to the previews' root, those that exist
    size: int


@dataclass
class PrunePlan:
    frames: list[Doomed] = field(default_factory=list)
    previews: list[StalePreviews] = field(default_factory=list)
    kept_masters: list[str] = field(default_factory=list)  # old, but a kept frame uses them

    @property
    def bytes(self) -> int:
        return sum(d.size for d in self.frames) + sum(p.size for p in self.previews)


@dataclass
class PruneReport:
    frames: int = 0
    previews: int = 0  # frames whose previews were deleted
    bytes: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def cutoff(retention: Retention, rule: str, now: datetime) -> datetime | None:
    """Files observed before this go; None when the rule keeps them for ever."""
    days = getattr(retention, rule)
    return now - timedelta(days=days) if days > 0 else None


def doomed_condition(retention: Retention, now: datetime) -> Q | None:
    """Rows of the age rules of raw, processed and catalogue files (masters need more)."""
    condition: Q | None = None
    for product in (Product.RAW, Product.PROCESSED, Product.CATALOGUE):
        before = cutoff(retention, RULES[product], now)
        if before is not None:
            rule = Q(product=product, date_obs__lt=before)
            condition = rule if condition is None else condition | rule
    return condition


def plan(unit: UnitConfig, now: datetime | None = None) -> PrunePlan:
    """What the rules name now; nothing is touched."""
    now = now or clock.now()
    retention = unit.archive.retention
    result = PrunePlan()
    doomed = doomed_condition(retention, now)
    kept: QuerySet[ArchiveFrame] = ArchiveFrame.objects.all() if doomed is None \
        else ArchiveFrame.objects.exclude(doomed)
    root = layout.previews_root(unit)
    rows: list[ArchiveFrame] = []
    if doomed is not None:
        rows += list(ArchiveFrame.objects.filter(doomed).order_by("date_obs", "id"))
    old_masters = _old_masters(retention, now)
    if old_masters is not None:
        used = _masters_used_by(kept, old_masters)
        for frame in old_masters.order_by("date_obs", "id"):
            if frame.master_id in used:
                result.kept_masters.append(frame.path)
            else:
                rows.append(frame)
    for frame in rows:
        files = _existing(root, frame)
        result.frames.append(Doomed(
            frame.pk, frame.path, frame.product, frame.size + sum(s for _, s in files),
            frame.date_obs, _rule_text(retention, RULES[Product(frame.product)]),
            tuple(name for name, _ in files)))
    before = cutoff(retention, "preview", now)
    if before is not None:
        gone = {d.frame_id for d in result.frames}
        stale = ArchiveFrame.objects.filter(date_obs__lt=before).exclude(
            thumbnail="", preview="").order_by("date_obs", "id")
        for frame in stale.iterator(chunk_size=2000):
            if frame.pk not in gone:
                files = _existing(root, frame)
                result.previews.append(StalePreviews(
                    frame.pk, frame.path, tuple(name for name, _ in files),
                    sum(size for _, size in files)))
    return result


def _old_masters(retention: Retention, now: datetime) -> QuerySet[ArchiveFrame] | None:
    before = cutoff(retention, "master", now)
    if before is None:
        return None
    return ArchiveFrame.objects.filter(product=Product.MASTER, date_obs__lt=before)


def _masters_used_by(kept: QuerySet[ArchiveFrame],
                     masters: QuerySet[ArchiveFrame]) -> set[int]:
    """The MasterCalibration ids among ``masters`` a kept frame's analysis used."""
    candidates = masters.exclude(master__isnull=True).values("master_id")
    used: set[int] = set()
    for use in USES:
        key = f"image__analysis__{use}"
        used |= set(kept.filter(**{f"{key}__in": candidates})
                    .values_list(key, flat=True).distinct())
    return used


def _existing(root: Path, frame: ArchiveFrame) -> list[tuple[str, int]]:
    """(name, size) of the frame's preview files that are on disk."""
    found = []
    for name in (frame.thumbnail, frame.preview):
        if name:
            try:
                found.append((name, (root / name).stat().st_size))
            except OSError:
                continue
    return found


def _rule_text(retention: Retention, rule: str) -> str:
    return f"{rule}: {getattr(retention, rule)} d"


# --- applying ------------------------------------------------------------------------------


class PruneLog:
    """Every deletion, with the time, in the data directory's log and on the console."""

    def __init__(self, echo: Callable[[str], None], path: Path | None = None) -> None:
        self.echo = echo
        self.path = path or paths.logs_dir() / LOG_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def __call__(self, message: str) -> None:
        stamp = clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(f"{stamp} {message}\n")
        self.echo(message)


def apply(unit: UnitConfig, planned: PrunePlan, log: Callable[[str], None]) -> PruneReport:
    """Delete what ``planned`` names: rows first (committed), then their files."""
    report = PruneReport()
    root, previews_root = layout.archive_root(unit), layout.previews_root(unit)
    for batch in _chunks(planned.frames, BATCH):
        with transaction.atomic():
            ArchiveFrame.objects.filter(pk__in=[d.frame_id for d in batch]).delete()
        for doomed in batch:
            report.frames += 1
            failure = _unlink(root, doomed.path) or _unlink_all(previews_root,
                                                                 doomed.previews)
            if failure:
                report.failures.append(f"{doomed.path}: {failure}")
                log(f"FAILED {doomed.product} {doomed.path}: row deleted, {failure} "
                    "(verify reports it as an orphan)")
                continue
            report.bytes += doomed.size
            log(f"DELETED {doomed.product} {doomed.path} {doomed.size} bytes (observed "
                f"{doomed.date_obs:%Y-%m-%d %H:%M} UTC; {doomed.rule})")
    for stale in planned.previews:
        ArchiveFrame.objects.filter(pk=stale.frame_id).update(
            thumbnail="", preview="", previews=Previews.PENDING)
        failure = _unlink_all(previews_root, stale.files)
        if failure:
            report.failures.append(f"previews of {stale.path}: {failure}")
            log(f"FAILED previews of {stale.path}: {failure}")
            continue
        report.previews += 1
        report.bytes += stale.size
        log(f"DELETED previews of {stale.path} ({len(stale.files)} files, {stale.size} "
            f"bytes; {_rule_text(unit.archive.retention, 'preview')})")
    return report


def _unlink(root: Path, relative: str) -> str:
    """Remove a file under ``root``; the reason when it could not be, else ""."""
    path = (root / relative).resolve()
    if root not in path.parents:
        return f"{relative!r} leaves {root}"
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        return f"file not removed: {exc}"
    _remove_empty_folders(root, path.parent)
    return ""


def _remove_empty_folders(root: Path, folder: Path) -> None:
    """A night's folders once their last file is gone, up to (not including) the root:
    old nights do not stay behind as empty trees. Only old nights are pruned, so no
    writer is putting a file in them."""
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:  # not empty, or gone: stop there
            return
        folder = folder.parent


def _unlink_all(root: Path, names: tuple[str, ...]) -> str:
    return next((failure for name in names if (failure := _unlink(root, name))), "")


def _chunks(items: list[Doomed], size: int) -> Iterator[list[Doomed]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
