"""Bringing into the archive what PyROS wrote before it had one (or what an ingest
missed): each recorded raw frame, master and calibrated frame without a catalogue row
is moved into the layout, given its FITS checksums if it has none, and catalogued.

Before the archive, frames lay in ``images/<night>/``, masters in ``masters/<night>/``
and calibrated frames in ``processed/<night>/`` of the data directory; their rows
(Image, MasterCalibration, FrameAnalysis) named them there. A move within one disk is a
rename; across disks the file is copied aside and renamed, then the original removed,
so a crash leaves one whole copy. The row's path is changed in the same step as the
catalogue row is made. A file that is not there any more is reported, never invented.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from astropy.io import fits
from django.db import transaction

from pyros.analysis.models import FrameAnalysis, MasterCalibration
from pyros.archive import layout
from pyros.archive.ingest import ingest_master, ingest_products, ingest_raw
from pyros.archive.models import ArchiveFrame, Product
from pyros.config.schema import UnitConfig
from pyros.images.models import Image

log = logging.getLogger(__name__)


@dataclass
class AdoptReport:
    moved: int = 0
    catalogued: int = 0
    missing: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.failed


def into_layout(unit: UnitConfig, source: Path, folder: Path) -> tuple[Path, bool]:
    """``source`` in ``folder`` (moved there unless it is already under the root);
    whether it moved."""
    try:
        layout.relative(unit, source)
        return source, False
    except layout.LayoutError:
        pass
    target = folder / source.name
    if target.exists():
        raise FileExistsError(f"{target} already exists")
    folder.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    try:
        source.rename(partial)
    except OSError:  # another disk: copy aside, then remove the original
        shutil.copy2(source, partial)
        source.unlink()
    partial.replace(target)
    return target, True


def with_checksums(path: Path) -> None:
    """DATASUM/CHECKSUM in every HDU of a FITS file that has none (older frames)."""
    with fits.open(path, mode="update", do_not_scale_image_data=True) as hdus:
        if all("CHECKSUM" in hdu.header for hdu in hdus):
            return
        for hdu in hdus:
            hdu.add_checksum()


def adopt(unit: UnitConfig, progress: Callable[[str], None] | None = None) -> AdoptReport:
    report = AdoptReport()
    raw = Image.objects.exclude(archive_frames__product=Product.RAW).order_by("date_obs")
    for image in raw:
        _adopt_one(unit, report, Path(image.path), layout.folder(
            unit, image.channel, image.night, "raw"),
            lambda path, i=image: _raw(unit, i, path))
    for master in MasterCalibration.objects.filter(archive_frame__isnull=True):
        _adopt_one(unit, report, Path(master.path), layout.folder(
            unit, master.channel, master.night, "cal"),
            lambda path, m=master: _master(unit, m, path))
    catalogued = ArchiveFrame.objects.filter(product=Product.PROCESSED).values("image_id")
    for analysis in FrameAnalysis.objects.exclude(calibrated_path="") \
            .exclude(image_id__in=catalogued).select_related("image"):
        image = analysis.image
        _adopt_one(unit, report, Path(analysis.calibrated_path), layout.folder(
            unit, image.channel, image.night, "processed"),
            lambda path, a=analysis: _processed(unit, a, path))
    if progress:
        progress(f"{report.catalogued} files catalogued ({report.moved} moved into the "
                 f"layout), {len(report.missing)} missing, {len(report.failed)} failed")
    return report


def _adopt_one(unit: UnitConfig, report: AdoptReport, source: Path, folder: Path,
               catalogue: Callable[[Path], ArchiveFrame | None]) -> None:
    if not source.is_file():
        report.missing.append(str(source))
        return
    try:
        target, moved = into_layout(unit, source, folder)
    except OSError as exc:
        report.failed.append(f"{source}: {exc}")
        return
    try:
        with_checksums(target)
        with transaction.atomic():
            frame = catalogue(target)
            if frame is None:
                raise ValueError("not catalogued (see the log)")
    except (OSError, ValueError) as exc:
        if moved:  # back where its row still says it is
            target.rename(source)
        report.failed.append(f"{source}: {exc}")
        log.error("could not adopt %s: %s", source, exc)
        return
    report.moved += int(moved)
    report.catalogued += 1


def _raw(unit: UnitConfig, image: Image, path: Path) -> ArchiveFrame | None:
    Image.objects.filter(pk=image.pk).update(path=str(path))
    image.path = str(path)
    return ingest_raw(unit, image)


def _master(unit: UnitConfig, master: MasterCalibration, path: Path) -> ArchiveFrame | None:
    MasterCalibration.objects.filter(pk=master.pk).update(path=str(path))
    master.path = str(path)
    return ingest_master(unit, master)


def _processed(unit: UnitConfig, analysis: FrameAnalysis, path: Path) -> ArchiveFrame | None:
    FrameAnalysis.objects.filter(pk=analysis.pk).update(calibrated_path=str(path))
    analysis.calibrated_path = str(path)
    frames = ingest_products(unit, analysis, None)
    return frames[0] if frames else None
