"""Putting a file in the catalogue: its checksum, headers, centre, owner, public date and
previews, in one row, as soon as it is written.

The majordome ingests each raw frame when it records it, the analysis agent its
calibrated frame and catalogue and each master it makes. A file already catalogued
(the same path) has its row brought up to date: analysing a frame again replaces its
products. Ingesting never stops the caller's work: a file that cannot be read is
logged and left for ``pyros archive verify`` to report as an orphan.
"""

from __future__ import annotations

import logging
import math
import warnings
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from astropy.io import fits
from astropy.wcs import WCS, FITSFixedWarning

from pyros import clock
from pyros.analysis.models import FrameAnalysis, MasterCalibration
from pyros.archive import layout
from pyros.archive.checksums import file_digests
from pyros.archive.models import (
    CALIBRATION_TYPES,
    RAW_LEVEL,
    REDUCED_LEVEL,
    ArchiveFrame,
    Previews,
    Product,
)
from pyros.archive.previews import preview_names, write_previews
from pyros.config.schema import UnitConfig
from pyros.images.models import Image
from pyros.instruments.previews import PreviewError

log = logging.getLogger(__name__)
SKIPPED_CARDS = ("", "COMMENT", "HISTORY")


def unit_vector(ra: float, dec: float) -> tuple[float, float, float]:
    a, d = math.radians(ra), math.radians(dec)
    return math.cos(d) * math.cos(a), math.cos(d) * math.sin(a), math.sin(d)


#: Degrees of declination per zone: a 1° cone reads 9 zones' RA windows.
ZONE_HEIGHT = 0.25


def zone_of(dec: float) -> int:
    return min(int((dec + 90.0) / ZONE_HEIGHT), int(180.0 / ZONE_HEIGHT) - 1)


def header_json(header: fits.Header) -> dict[str, Any]:
    """The header as JSON: plain values as they are, the rest as text, comments and
    history as lists of lines."""
    data: dict[str, Any] = {}
    for card in header.cards:
        key, value = card.keyword, card.value
        if key in ("COMMENT", "HISTORY"):
            data.setdefault(key, []).append(str(value))
        elif key and key not in SKIPPED_CARDS:
            data[key] = value if isinstance(value, bool | int | float | str) else str(value)
    return data


def centre(header: fits.Header) -> tuple[float, float] | None:
    """The image centre from a celestial WCS when there is one (a solved frame), else
    the mount's or the request's pointing."""
    if str(header.get("CTYPE1", "")).startswith("RA"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FITSFixedWarning)
            wcs = WCS(header, naxis=2)
        width, height = header.get("NAXIS1"), header.get("NAXIS2")
        if wcs.has_celestial and width and height:
            ra, dec = wcs.all_pix2world([[(width - 1) / 2, (height - 1) / 2]], 0)[0]
            return float(ra) % 360.0, float(dec)
    for ra_key, dec_key in (("RA", "DEC"), ("TARG-RA", "TARG-DEC")):
        ra, dec = header.get(ra_key), header.get(dec_key)
        if isinstance(ra, int | float) and isinstance(dec, int | float) \
                and not isinstance(ra, bool) and -90.0 <= dec <= 90.0:
            return float(ra) % 360.0, float(dec)
    return None


def public_date(unit: UnitConfig, date_obs: datetime, frame_type: str) -> datetime:
    """Calibrations are public at once; a program's frames after the proprietary period."""
    if frame_type in CALIBRATION_TYPES:
        return date_obs
    return date_obs + timedelta(days=unit.archive.proprietary_days)


def _binning(header: fits.Header) -> int:
    value = header.get("XBINNING", header.get("BINNING", 1))
    return int(value) if isinstance(value, int) and value > 0 else 1


def _from_image(image: Image) -> dict[str, Any]:
    """What the raw frame's row knows, shared by the frame and its products."""
    sequence = image.sequence
    request = sequence.request if sequence is not None else None
    return {"channel": image.channel, "frame_type": image.frame_type, "night": image.night,
            "date_obs": image.date_obs, "exposure": image.exposure, "filter": image.filter,
            "airmass": image.airmass, "target_name": image.target_name,
            "sequence": sequence, "album_id": image.album_id, "plan_id": image.plan_id,
            "request": request, "program": request.program if request is not None else None,
            "image": image}


def catalogue_file(unit: UnitConfig, path: Path, product: Product,
                   fields: dict[str, Any], *, previews: bool = False) -> ArchiveFrame:
    """The row of the file at ``path`` (under the archive root) with ``fields``."""
    relative = layout.relative(unit, path)
    header = fits.getheader(path, 0)
    fields = dict(fields)
    position = fields.pop("position", None) or centre(header)
    values: dict[str, Any] = {
        "basename": path.name, "product": product.value, "unit": unit.unit,
        "reduction_level": RAW_LEVEL if product == Product.RAW else REDUCED_LEVEL,
        "binning": _binning(header), "size": path.stat().st_size,
        "headers": header_json(header),
        "ingested_at": clock.now(), "ra": None, "dec": None, "x": None, "y": None, "z": None,
        "zone": None,
        **fields}
    values["sha256"], values["crc32"] = file_digests(path)
    values["public_date"] = public_date(unit, values["date_obs"], values["frame_type"])
    if position is not None:
        values["ra"], values["dec"] = position
        values["x"], values["y"], values["z"] = unit_vector(*position)
        values["zone"] = zone_of(position[1])
    values["thumbnail"] = values["preview"] = ""
    values["previews"] = Previews.NONE if product == Product.CATALOGUE else Previews.PENDING
    if previews and product != Product.CATALOGUE:
        values["thumbnail"], values["preview"] = make_previews(unit, path, relative)
        values["previews"] = Previews.MADE if values["preview"] else Previews.NONE
    frame, _ = ArchiveFrame.objects.update_or_create(path=relative, defaults=values)
    return frame


def make_previews(unit: UnitConfig, path: Path, relative: str) -> tuple[str, str]:
    """Both PNG files of the FITS file at ``path``; ("", "") when it has no image."""
    thumbnail, preview = preview_names(relative)
    root = layout.previews_root(unit)
    try:
        write_previews(path, root / thumbnail, root / preview)
    except (OSError, PreviewError, ValueError) as exc:
        log.warning("no preview of %s: %s", path.name, exc)
        return "", ""
    return thumbnail, preview


def previews_made(unit: UnitConfig, frame: ArchiveFrame) -> bool:
    """Both previews on disk: nothing to compute."""
    root = layout.previews_root(unit)
    return bool(frame.preview) and (root / frame.preview).exists() \
        and (root / frame.thumbnail).exists()


def previews_of(unit: UnitConfig, frame: ArchiveFrame) -> bool:
    """Make (or remake, when pruned) the previews of a catalogued frame; False when
    there can be none (a catalogue, a file gone)."""
    if frame.product == Product.CATALOGUE:
        return False
    if previews_made(unit, frame):
        return True
    try:
        path = layout.absolute(unit, frame.path)
    except layout.LayoutError:
        return False
    thumbnail, preview = make_previews(unit, path, frame.path)
    state = Previews.MADE if preview else Previews.NONE
    ArchiveFrame.objects.filter(pk=frame.pk).update(thumbnail=thumbnail, preview=preview,
                                                    previews=state)
    frame.thumbnail, frame.preview, frame.previews = thumbnail, preview, state
    return bool(preview)


def previews_for_one(unit: UnitConfig) -> bool:
    """The previews of the newest frame that has none yet; False when every frame has
    them. The analysis agent calls it when it has no frame to analyse: previews cost
    0.2-0.5 s a frame, which neither the majordome nor an alert's frame should wait for.
    Frames older than the previews' retention are left to ``previews_of`` on demand:
    ``pyros archive prune`` deleted theirs and set them PENDING again."""
    pending = ArchiveFrame.objects.filter(previews=Previews.PENDING)
    keep_days = unit.archive.retention.preview
    if keep_days > 0:
        pending = pending.filter(date_obs__gte=clock.now() - timedelta(days=keep_days))
    frame = pending.order_by("-date_obs", "-id").first()
    if frame is None:
        return False
    if not previews_of(unit, frame):  # never again for this one
        ArchiveFrame.objects.filter(pk=frame.pk).update(previews=Previews.NONE)
    return True


def ingest_raw(unit: UnitConfig, image: Image) -> ArchiveFrame | None:
    return _safely(unit, Path(image.path), Product.RAW, _from_image(image))


def ingest_products(unit: UnitConfig, analysis: FrameAnalysis,
                    catalogue: Path | None) -> list[ArchiveFrame]:
    """The calibrated frame and the source catalogue of an analysed frame."""
    frames: list[ArchiveFrame] = []
    position = None
    for path, product in ((analysis.calibrated_path, Product.PROCESSED),
                          (catalogue, Product.CATALOGUE)):
        if not path:
            continue
        # The catalogue has no pixels: its centre is its calibrated frame's.
        frame = _safely(unit, Path(path), product,
                        {**_from_image(analysis.image), "position": position})
        if frame is not None:
            frames.append(frame)
            if frame.ra is not None and frame.dec is not None:
                position = (frame.ra, frame.dec)
    return frames


def ingest_master(unit: UnitConfig, master: MasterCalibration) -> ArchiveFrame | None:
    return _safely(unit, Path(master.path), Product.MASTER, {
        "channel": master.channel, "frame_type": master.kind, "night": master.night,
        "date_obs": master.date_obs, "exposure": master.exposure, "filter": master.filter,
        "target_name": f"master {master.kind.lower()}", "master": master})


def _safely(unit: UnitConfig, path: Path, product: Product,
            fields: dict[str, Any]) -> ArchiveFrame | None:
    try:
        return catalogue_file(unit, path, product, fields)
    except layout.LayoutError as exc:  # written elsewhere on purpose (a test, a tool)
        log.info("%s not archived: %s", path.name, exc)
    except (OSError, ValueError) as exc:
        log.error("%s not archived: %s", path, exc)
    return None
