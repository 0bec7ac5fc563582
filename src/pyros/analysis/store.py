"""The analysis in the database: the queue of images to analyse, the masters made from
each night's calibration frames and the choice of masters for a frame, and what the
pipeline found, written back.

Everything the pipeline itself does is in the plain-Python core; this module loads
frames, picks what they need, calls the core and records the outcome. No outcome is
half-written: an analysis's figures, candidates and state change in one transaction.
"""

from __future__ import annotations

import functools
import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from django.db import transaction

from pyros import clock, paths
from pyros.agents.notify import uses_notifications
from pyros.analysis import environment, masters, pipeline
from pyros.analysis.calibration import Masters
from pyros.analysis.candidates import Region
from pyros.analysis.context import Context
from pyros.analysis.frames import Frame, FrameError, FrameKind, load_frame
from pyros.analysis.models import (
    AnalysisStatus,
    Candidate,
    FrameAnalysis,
    MasterCalibration,
    MasterKind,
)
from pyros.analysis.summary import number, summary
from pyros.archive import layout as archive_layout
from pyros.archive.ingest import ingest_master, ingest_products
from pyros.config.analysis import AnalysisConfig
from pyros.config.schema import UnitConfig
from pyros.images.models import Image

log = logging.getLogger(__name__)

#: PostgreSQL channel on which a new image wakes the analysis agent.
IMAGES_CHANNEL = "pyros_images"
CALIBRATION_TYPES = ("BIAS", "DARK", "FLAT")


# --- the queue ---------------------------------------------------------------------------


def alert_event_of(image: Image):
    """The alert event whose request this image's sequence serves, or None."""
    from pyros.alerts.models import AlertPacket

    if image.sequence_id is None:
        return None
    packet = AlertPacket.objects.filter(request__sequences__pk=image.sequence_id) \
        .select_related("event").order_by("-received_at").first()
    return packet.event if packet is not None else None


def enqueue(image: Image, now: datetime | None = None) -> FrameAnalysis:
    """Queue a new image (alert frames first) and wake the analysis agent."""
    priority = 1 if image.frame_type == "LIGHT" and alert_event_of(image) is not None else 0
    analysis, _ = FrameAnalysis.objects.get_or_create(
        image=image, defaults={"priority": priority, "queued_at": now or clock.now()})
    wake_analysis(image.pk)
    return analysis


def wake_analysis(image_id: int) -> None:
    if uses_notifications():
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [IMAGES_CHANNEL, str(image_id)])


def next_light() -> FrameAnalysis | None:
    """The next frame to analyse: alert frames first, then in the order taken."""
    return FrameAnalysis.objects.filter(status=AnalysisStatus.PENDING, image__frame_type="LIGHT") \
        .select_related("image").order_by("-priority", "image__date_obs", "id").first()


def finished_calibration_keys() -> list[str]:
    """Work keys of calibration sets the majordome finished whose frames wait."""
    from pyros.majordome.models import LogKind, NightLogEntry

    waiting = set(FrameAnalysis.objects.filter(
        status=AnalysisStatus.PENDING, image__frame_type__in=CALIBRATION_TYPES)
        .values_list("image__work_key", flat=True))
    if not waiting:
        return []
    ended = {str(detail.get("key", "")).removesuffix(":end") for detail in
             NightLogEntry.objects.filter(kind=LogKind.CALIBRATION).values_list("detail",
                                                                                flat=True)
             if isinstance(detail, dict) and str(detail.get("key", "")).endswith(":end")}
    return sorted(waiting & ended)


# --- masters -----------------------------------------------------------------------------


def _group_key(frame: Frame, image: Image) -> tuple:
    kind = frame.kind
    return (kind.value, image.channel, frame.binning,
            frame.filter if kind is FrameKind.FLAT else "",
            frame.exposure if kind is FrameKind.DARK else 0.0)


def make_masters(images: Iterable[Image], unit: UnitConfig) -> list[MasterCalibration]:
    """Masters from a set of calibration images: biases first, then darks with the bias
    chosen for them, then flats; a group too small or unusable is logged and its frames
    marked FAILED with the reason (never silently dropped). Each goes to the archive."""
    groups: dict[tuple, list[tuple[Image, Frame]]] = defaultdict(list)
    for image in images:
        try:
            frame = load_frame(image.path)
        except FrameError as exc:
            _finish_calibration([image], AnalysisStatus.FAILED, str(exc))
            continue
        groups[_group_key(frame, image)].append((image, frame))
    made = []
    order = {"BIAS": 0, "DARK": 1, "FLAT": 2}
    for key in sorted(groups, key=lambda k: (order[k[0]], k[1:])):
        members = groups[key]
        try:
            made.append(_make_master(key, members, unit))
        except masters.MasterError as exc:
            log.warning("no master from %d %s frames of %s: %s", len(members), key[0], key[1],
                        exc)
            _finish_calibration([i for i, _ in members], AnalysisStatus.FAILED,
                                f"no master: {exc}")
    return made


def _make_master(key: tuple, members: list[tuple[Image, Frame]],
                 unit: UnitConfig) -> MasterCalibration:
    settings = unit.analysis
    kind, channel, binning = FrameKind(key[0]), key[1], key[2]
    frames = [frame for _, frame in members]
    for frame in frames:
        frame.channel = channel
    minimum = settings.min_calibration_frames
    when = frames[0].date_obs or clock.now()
    if kind is FrameKind.BIAS:
        master = masters.make_bias(frames, minimum)
    else:
        bias = _load(choose_master(MasterKind.BIAS, channel, binning, when, settings))
        if bias is None:
            raise masters.MasterError(f"no master bias for {channel} bin {binning}")
        if kind is FrameKind.DARK:
            master = masters.make_dark(frames, bias, minimum)
        else:
            dark = _load(choose_master(MasterKind.DARK, channel, binning, when, settings,
                                       temperature=frames[0].ccd_temperature))
            master = masters.make_flat(frames, bias, dark, minimum)
    images = [image for image, _ in members]
    night = images[0].night
    stem = f"master-{kind.value.lower()}-{channel}-bin{binning}"
    if master.filter:
        stem += f"-{master.filter}"
    if kind is FrameKind.DARK:
        stem += f"-{master.exposure:g}s"
    folder = archive_layout.folder(unit, channel, night, "cal")
    path = folder / f"{stem}-{(master.date_obs or when):%Y%m%dT%H%M%S}.fits"
    master.write(path)
    with transaction.atomic():
        record = MasterCalibration.objects.create(
            kind=kind.value, channel=channel, binning=binning, filter=master.filter,
            exposure=master.exposure, ccd_temperature=master.ccd_temperature, night=night,
            date_obs=master.date_obs or when, path=str(path), frame_count=len(images),
            used=master.used, quality=_finite(master.quality), created_at=clock.now())
        record.frames.set(images)
        _finish_calibration(images, AnalysisStatus.USED, f"in {path.name}")
    ingest_master(unit, record)
    log.info("made %s from %d frames", record, len(images))
    return record


def _finite(values: dict[str, float]) -> dict[str, float | int | None]:
    return {k: number(v) for k, v in values.items()}


def _finish_calibration(images: list[Image], status: str, reason: str) -> None:
    FrameAnalysis.objects.filter(image__in=images).update(
        status=status, reason=reason[:1000], analysed_at=clock.now())


def choose_master(kind: str, channel: str, binning: int, when: datetime,
                  settings: AnalysisConfig, *, filter_name: str = "",
                  temperature: float | None = None) -> MasterCalibration | None:
    """The nearest valid master in time: same channel and binning, the filter for a
    flat, a CCD temperature within tolerance for a dark, within the configured age, and
    still on disk."""
    age = timedelta(hours=settings.master_max_age)
    found = MasterCalibration.objects.filter(
        kind=kind, channel=channel, binning=binning, date_obs__gte=when - age,
        date_obs__lte=when + age)
    if kind == MasterKind.FLAT:
        found = found.filter(filter=filter_name)
    chosen = []
    for master in found:
        if not Path(master.path).is_file():  # pruned by the archive's retention rules
            continue
        if kind == MasterKind.DARK and temperature is not None and \
                master.ccd_temperature is not None and \
                abs(master.ccd_temperature - temperature) > settings.dark_temperature_tolerance:
            continue
        chosen.append(master)
    return min(chosen, key=lambda m: abs((m.date_obs - when).total_seconds()), default=None)


@functools.lru_cache(maxsize=12)
def _read_master(path: str, modified: int) -> masters.Master:
    """A master file read once while unchanged (``modified`` keys a rewritten one anew):
    every frame of a night uses the same three."""
    return masters.read_master(Path(path))


def _load(record: MasterCalibration | None) -> masters.Master | None:
    if record is None:
        return None
    try:
        return _read_master(record.path, Path(record.path).stat().st_mtime_ns)
    except OSError as exc:
        log.warning("master %s unusable: %s", record.path, exc)
        return None
    except masters.MasterError as exc:
        log.warning("master %s unusable: %s", record.path, exc)
        return None


def masters_for(frame: Frame, image: Image, settings: AnalysisConfig
                ) -> tuple[Masters, dict[str, MasterCalibration | None]]:
    when = frame.date_obs or image.date_obs
    records = {
        "bias": choose_master(MasterKind.BIAS, image.channel, frame.binning, when, settings),
        "dark": choose_master(MasterKind.DARK, image.channel, frame.binning, when, settings,
                              temperature=frame.ccd_temperature),
        "flat": choose_master(MasterKind.FLAT, image.channel, frame.binning, when, settings,
                              filter_name=frame.filter or image.filter),
    }
    return Masters(**{kind: _load(record) for kind, record in records.items()}), records


# --- one frame -----------------------------------------------------------------------------


def analyse_image(analysis: FrameAnalysis, unit: UnitConfig) -> FrameAnalysis:
    """Run one image through the pipeline, record the outcome and archive its products;
    never raises for a bad frame (its analysis is FAILED with the reason)."""
    settings = unit.analysis
    image = analysis.image
    try:
        frame = load_frame(image.path)
    except FrameError as exc:
        return record_failure(analysis, str(exc))
    frame.channel = image.channel
    chosen, records = masters_for(frame, image, settings)
    event = alert_event_of(image)
    night_dir = image.night.isoformat()
    context = Context(
        settings, masters=chosen, catalogue=environment.catalogue_for(frame, settings),
        index=lambda f: environment.indexes_for(f, settings),
        region=_region(event),
        output=archive_layout.folder(unit, image.channel, image.night, "processed"),
        cutouts=paths.data_dir() / "candidates" / night_dir if event is not None else None)
    report = pipeline.analyse(frame, context)
    result = summary(frame, report)
    now = clock.now()
    with transaction.atomic():
        _store_result(analysis, result, report.ok, report.reason, now)
        analysis.bias, analysis.dark, analysis.flat = (
            records[k] if f"L1ID{k.upper()}" in frame.provenance else None
            for k in ("bias", "dark", "flat"))
        analysis.calibrated_path = str(context.written or "")
        analysis.save()
        for candidate in context.candidates:
            Candidate.objects.create(
                analysis=analysis, event=event, kind=candidate.kind.value, ra=candidate.ra,
                dec=candidate.dec, mag=candidate.mag, mag_err=candidate.mag_err,
                snr=candidate.snr, reference_mag=candidate.reference_mag,
                distance=candidate.distance, new_cutout=str(candidate.new_cutout or ""),
                reference_cutout=str(candidate.reference_cutout or ""), found_at=now)
        if event is not None:  # the alert's log says it with the candidates, not after
            _log_candidates(event, analysis, len(context.candidates))
    ingest_products(unit, analysis, context.catalogue_written)
    return analysis


def _region(event) -> Region | None:
    if event is None or event.ra is None or event.dec is None:
        return None
    return Region(event.ra, event.dec, event.error_radius or 0.1)


COLUMNS = {"fwhm": "fwhm_arcsec", "ellipticity": "ellipticity", "background": "background",
           "background_rms": "background_rms", "sky_brightness": "sky_brightness",
           "zero_point": "zero_point", "limiting_magnitude": "limiting_magnitude",
           "astrometric_rms": "astrometric_rms_arcsec",
           "pointing_offset": "pointing_offset_arcsec", "sources": "sources"}


def _store_result(analysis: FrameAnalysis, result: dict, ok: bool, reason: str,
                  now: datetime) -> None:
    analysis.status = AnalysisStatus.DONE if ok else AnalysisStatus.FAILED
    analysis.reason = reason[:1000]
    analysis.results = result
    analysis.analysed_at = now
    analysis.seconds = result.get("seconds")
    # Wall seconds: on a simulated clock running N times faster, N clock seconds pass
    # for each second the pipeline works.
    analysis.latency = max(0.0, (now - analysis.image.date_end).total_seconds()) / clock.pace()
    analysis.calibrated = bool(result.get("calibrated"))
    analysis.solved = bool(result.get("solved"))
    for column, key in COLUMNS.items():
        setattr(analysis, column, result.get(key))


def record_failure(analysis: FrameAnalysis, reason: str) -> FrameAnalysis:
    now = clock.now()
    with transaction.atomic():
        _store_result(analysis, {"error": reason}, False, reason, now)
        analysis.save()
    log.warning("%s not analysed: %s", analysis.image.path, reason)
    return analysis


def _log_candidates(event, analysis: FrameAnalysis, count: int) -> None:
    """The alert's decision log: what this frame's search found, and how long after
    the readout."""
    from pyros.alerts.models import AlertLog, Step

    packet = event.packets.order_by("-received_at").first()
    AlertLog.objects.create(
        packet=packet, ivorn=packet.ivorn if packet else "", step=Step.CANDIDATES,
        at=analysis.analysed_at,
        message=f"{count} candidate(s) in {Path(analysis.image.path).name}, "
                f"{analysis.latency:.1f} s after its readout",
        data={"image": analysis.image_id, "candidates": count, "latency": analysis.latency})
