"""The morning report of a night, gathered: what the observatory did (its states,
the weather, the safety changes), the plan against what was executed per program and
the time charged, the images and their quality, the alerts with their latency and
candidates, the faults and warnings, and the figures of the trends outside their
thresholds or their usual range. ``render`` draws it; this only reads the database.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count

from pyros import clock
from pyros.alerts.models import AlertLog, AlertPacket, Step
from pyros.analysis.models import AnalysisStatus, Candidate, FrameAnalysis
from pyros.analysis.plots import series_svg
from pyros.config.schema import UnitConfig
from pyros.health.end_of_night import night_end_entry
from pyros.health.limits import HealthWarning
from pyros.health.metrics import METRICS
from pyros.health.models import NightMetric
from pyros.health.sources import NightWindow, window_of
from pyros.health.trends import warnings_between
from pyros.images.models import Image
from pyros.majordome.api import night_timeline
from pyros.majordome.models import LogKind, NightLogEntry
from pyros.majordome.timeline import Timeline
from pyros.monitoring.models import WeatherWatch
from pyros.programs.models import TimeCharge
from pyros.scheduling.models import Schedule

#: Nights before the reported one an anomaly is judged against.
HISTORY_NIGHTS = 30
#: Robust standard deviations from the usual value that make an anomaly.
ANOMALY_SIGMAS = 4.0
#: Nights of history needed before a figure is judged at all.
MIN_HISTORY = 5


@dataclass(frozen=True)
class ProgramLine:
    program: str
    planned: int  # sequences in the night's last plan
    planned_seconds: float
    executed: int
    failed: int
    interrupted: int
    charged_seconds: float

    @property
    def planned_hours(self) -> float:
        return self.planned_seconds / 3600.0

    @property
    def charged_hours(self) -> float:
        return self.charged_seconds / 3600.0


@dataclass(frozen=True)
class ImageLine:
    channel: str
    frame_type: str
    frames: int
    analysed: int
    failed: int
    fwhm: float | None
    zero_point: float | None


@dataclass(frozen=True)
class AlertLine:
    event: str
    mission: str
    received_at: datetime
    decision: str
    reason: str
    slew_seconds: float | None  # reception to the slew commanded
    candidates: int


@dataclass(frozen=True)
class Anomaly:
    metric: str
    where: str
    value: float
    usual: float
    sigmas: float

    @property
    def message(self) -> str:
        info = METRICS[self.metric]
        return (f"{info.title}{f' ({self.where})' if self.where else ''}: {self.value:.4g} "
                f"{info.unit}, usually {self.usual:.4g} ({self.sigmas:+.1f} σ) — "
                f"{info.means}")


@dataclass
class NightReportData:
    night: date
    unit: str
    window: NightWindow
    generated_at: datetime
    night_end: datetime | None
    timeline: Timeline | None
    weather: dict[str, Any]
    weather_plots: list[str]
    safety: list[NightLogEntry]
    programs: list[ProgramLine]
    images: list[ImageLine]
    quality_plots: list[str]
    alerts: list[AlertLine]
    faults: list[NightLogEntry]
    warnings: list[HealthWarning]
    anomalies: list[Anomaly]
    figures: list[NightMetric] = field(default_factory=list)

    @property
    def planned(self) -> int:
        return sum(p.planned for p in self.programs)

    @property
    def executed(self) -> int:
        return sum(p.executed for p in self.programs)

    @property
    def charged_hours(self) -> float:
        return sum(p.charged_hours for p in self.programs)

    @property
    def frame_total(self) -> int:
        return sum(i.frames for i in self.images)

    @property
    def median_fwhm(self) -> float | None:
        return _median([f.value for f in self.figures if f.metric == "fwhm"])

    @property
    def figure_rows(self) -> list[dict[str, Any]]:
        return [{"title": METRICS[f.metric].title, "unit": METRICS[f.metric].unit,
                 "channel": f.channel, "key": f.key, "value": f.value, "count": f.count}
                for f in self.figures if f.metric in METRICS]


def night_end_of(night: date) -> datetime | None:
    """When the majordome logged the end of ``night`` (see ``night_ended``), if it did."""
    entry = night_end_entry(night)
    return entry.time if entry else None


def _programs(night: date, window: NightWindow) -> list[ProgramLine]:
    planned: dict[str, list[float]] = defaultdict(list)
    schedule = Schedule.objects.filter(night=night).order_by("-created_at", "-id").first()
    if schedule is not None:
        for entry in schedule.entries.select_related("sequence__request__program"):
            planned[entry.sequence.request.program.name].append(
                (entry.end - entry.start).total_seconds())
    outcomes: dict[str, Counter] = defaultdict(Counter)
    charged: dict[str, float] = defaultdict(float)
    for charge in TimeCharge.objects.filter(start__gte=window.start, start__lt=window.end) \
            .select_related("program"):
        outcomes[charge.program.name][charge.outcome] += 1
        charged[charge.program.name] += charge.seconds
    return [ProgramLine(name, len(planned[name]), sum(planned[name]),
                        outcomes[name]["EXECUTED"], outcomes[name]["FAILED"],
                        outcomes[name]["INTERRUPTED"], charged[name])
            for name in sorted(set(planned) | set(outcomes))]


def _images(night: date) -> tuple[list[ImageLine], list[str]]:
    rows = Image.objects.filter(night=night).values("channel", "frame_type").annotate(
        frames=Count("id")).order_by("channel", "frame_type")
    lines = []
    for row in rows:
        analyses = FrameAnalysis.objects.filter(image__night=night,
                                                image__channel=row["channel"],
                                                image__frame_type=row["frame_type"])
        done = list(analyses.filter(status=AnalysisStatus.DONE).values_list("fwhm",
                                                                             "zero_point"))
        lines.append(ImageLine(
            row["channel"], row["frame_type"], row["frames"], len(done),
            analyses.filter(status=AnalysisStatus.FAILED).count(),
            _median([f for f, _ in done]), _median([z for _, z in done])))
    lights = list(FrameAnalysis.objects.filter(
        image__night=night, image__frame_type="LIGHT", status=AnalysisStatus.DONE)
        .select_related("image").order_by("image__date_obs"))
    plots = [series_svg([(a.image.date_obs, a.fwhm) for a in lights], "FWHM", "arcsec"),
             series_svg([(a.image.date_obs, a.zero_point) for a in lights], "Zero point",
                        "mag", inverted=True)]
    return lines, plots


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(statistics.median(present)) if present else None


def _weather(window: NightWindow) -> tuple[dict[str, Any], list[str]]:
    watches = list(WeatherWatch.objects.filter(time__gte=window.start, time__lt=window.end)
                   .order_by("time").only("time", "safe", "sky", "temperature", "wind_speed",
                                          "humidity", "rain_rate"))
    if not watches:
        return {"readings": 0}, []
    safe = sum(1 for w in watches if w.safe)
    clear = sum(1 for w in watches if w.sky == "clear")

    def extreme(name: str, pick) -> float | None:
        values = [getattr(w, name) for w in watches if getattr(w, name) is not None]
        return pick(values) if values else None

    summary = {"readings": len(watches), "safe_share": safe / len(watches),
               "clear_share": clear / len(watches),
               "temperature_min": extreme("temperature", min),
               "temperature_max": extreme("temperature", max),
               "wind_max": extreme("wind_speed", max),
               "humidity_max": extreme("humidity", max),
               "rain": any((w.rain_rate or 0) > 0 for w in watches)}
    plots = [series_svg([(w.time, getattr(w, name)) for w in watches], title, unit)
             for name, title, unit in (("wind_speed", "Wind", "m/s"),
                                       ("humidity", "Humidity", "%"),
                                       ("temperature", "Temperature", "°C"))]
    return summary, plots


def _alerts(window: NightWindow) -> list[AlertLine]:
    packets = AlertPacket.objects.filter(received_at__gte=window.start,
                                         received_at__lt=window.end) \
        .select_related("event").order_by("received_at")
    lines = []
    for packet in packets:
        slew = AlertLog.objects.filter(packet=packet, step=Step.SLEW).order_by("at").first()
        candidates = Candidate.objects.filter(event=packet.event).count()
        lines.append(AlertLine(
            packet.event.key, packet.mission, packet.received_at, packet.decision,
            packet.reason[:200],
            (slew.at - packet.received_at).total_seconds() if slew else None, candidates))
    return lines


def anomalies(night: date) -> list[Anomaly]:
    """The night's figures more than ``ANOMALY_SIGMAS`` robust deviations (1.4826 × the
    median absolute deviation) from their median over the previous ``HISTORY_NIGHTS``
    nights, for the figures with at least ``MIN_HISTORY`` such nights. Counts are not
    judged so (a night of no frame is not an anomaly of the instrument)."""
    found = []
    first = night - timedelta(days=HISTORY_NIGHTS)
    history: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for row in NightMetric.objects.filter(night__gte=first, night__lt=night) \
            .values_list("metric", "channel", "key", "value"):
        history[row[:3]].append(row[3])
    for row in NightMetric.objects.filter(night=night).exclude(
            metric__in=["frames", "device_failures"]):
        past = history.get((row.metric, row.channel, row.key), [])
        if len(past) < MIN_HISTORY:
            continue
        usual = statistics.median(past)
        spread = 1.4826 * statistics.median(abs(v - usual) for v in past)
        if spread <= 0:
            continue
        sigmas = (row.value - usual) / spread
        if abs(sigmas) > ANOMALY_SIGMAS:
            where = " ".join(part for part in (row.channel, row.key) if part)
            found.append(Anomaly(row.metric, where, row.value, usual, sigmas))
    return found


def gather(night: date, unit: UnitConfig) -> NightReportData:
    """Everything the report of ``night`` says (see the module)."""
    window = window_of(night, unit.site.longitude)
    now = clock.now()
    weather, weather_plots = _weather(window)
    images, quality_plots = _images(night)
    log = NightLogEntry.objects.filter(night=night)
    return NightReportData(
        night=night, unit=unit.unit, window=window, generated_at=now,
        night_end=night_end_of(night),
        timeline=night_timeline(night, now, night + timedelta(days=1)),
        weather=weather, weather_plots=weather_plots,
        safety=list(log.filter(kind=LogKind.SAFETY)),
        programs=_programs(night, window), images=images, quality_plots=quality_plots,
        alerts=_alerts(window), faults=list(log.filter(kind=LogKind.DEVICE)),
        warnings=warnings_between(unit, night, night), anomalies=anomalies(night),
        figures=list(NightMetric.objects.filter(night=night)))
