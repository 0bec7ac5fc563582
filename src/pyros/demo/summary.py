"""What the demo night did, read from its database: when the dome was open, the
sequences executed and failed, the images taken, how fast the alert was followed (in
the night's seconds and in real seconds) and the candidates the analysis found.

Every figure comes from the rows the agents wrote, so a test can recount them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

#: The majordome's states in which the dome is open.
OPEN_STATES = frozenset({"SCHEDULER_READY", "OBSERVING", "REMOTE"})


@dataclass
class AlertFigures:
    ivorn: str = ""
    decision: str = ""
    received_at: datetime | None = None
    slew_after: float | None = None  # seconds of the night's clock
    first_frame_after: float | None = None
    candidates: int = 0
    best_candidate: str = ""


@dataclass
class NightSummary:
    speed: float
    open_periods: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    closed_for: list[str] = field(default_factory=list)  # why the dome closed at night
    sequences: dict[str, int] = field(default_factory=dict)  # status -> count
    images: dict[str, int] = field(default_factory=dict)  # frame type -> count
    analysed: int = 0
    alert: AlertFigures = field(default_factory=AlertFigures)

    @property
    def open_hours(self) -> float:
        return sum(((end or start) - start).total_seconds()
                   for start, end in self.open_periods) / 3600.0

    def real_seconds(self, night_seconds: float | None) -> float | None:
        return None if night_seconds is None else night_seconds / self.speed

    def as_json(self) -> dict:
        data = asdict(self)
        data["open_periods"] = [[s.isoformat(), e.isoformat() if e else None]
                                for s, e in self.open_periods]
        data["open_hours"] = round(self.open_hours, 3)
        if self.alert.received_at:
            data["alert"]["received_at"] = self.alert.received_at.isoformat()
        for key in ("slew_after", "first_frame_after"):
            value = getattr(self.alert, key)
            data["alert"][f"{key}_real"] = self.real_seconds(value)
        return data


def open_periods(transitions: list[tuple[datetime, str, str, str]]
                 ) -> tuple[list[tuple[datetime, datetime | None]], list[str]]:
    """From the state changes (time, from, to, cause): when the dome was open, and the
    cause of each closing while it was (OPENING again while open, as when the majordome
    makes sure of the dome before a sequence, is no closing)."""
    periods: list[tuple[datetime, datetime | None]] = []
    closings: list[str] = []
    opened: datetime | None = None
    for when, _, to, cause in transitions:
        if to in OPEN_STATES and opened is None:
            opened = when
        elif to not in OPEN_STATES | {"OPENING"} and opened is not None:
            periods.append((opened, when))
            closings.append(f"{when:%H:%M} {cause}")
            opened = None
    if opened is not None:
        periods.append((opened, None))
    return periods, closings


def summarise(speed: float, ivorn: str = "") -> NightSummary:
    """The figures of the night in the (demo's) database."""
    from django.db.models import Count

    from pyros.alerts.models import AlertLog, AlertPacket, Step
    from pyros.analysis.models import AnalysisStatus, Candidate, FrameAnalysis
    from pyros.images.models import Image
    from pyros.majordome.models import LogKind, NightLogEntry
    from pyros.observations.models import Sequence

    summary = NightSummary(speed)
    transitions = [(e.time, e.detail.get("from", ""), e.detail.get("to", ""),
                    e.detail.get("cause", ""))
                   for e in NightLogEntry.objects.filter(kind=LogKind.STATE).order_by("time", "id")]
    summary.open_periods, summary.closed_for = open_periods(transitions)
    summary.sequences = dict(Sequence.objects.values_list("status").annotate(n=Count("id")))
    summary.images = dict(Image.objects.values_list("frame_type").annotate(n=Count("id")))
    summary.analysed = FrameAnalysis.objects.filter(status=AnalysisStatus.DONE).count()
    packet = AlertPacket.objects.filter(ivorn=ivorn).first() if ivorn else None
    if packet is None:
        return summary
    figures = summary.alert
    figures.ivorn = ivorn
    steps = {log.step: log for log in AlertLog.objects.filter(ivorn=ivorn).order_by("-at")}
    received = steps.get(Step.RECEIVED)
    decided = steps.get(Step.ACCEPTED) or steps.get(Step.REJECTED)
    figures.decision = decided.step if decided else ""
    if received is None:
        return summary
    figures.received_at = received.at
    slew = AlertLog.objects.filter(ivorn=ivorn, step=Step.SLEW).order_by("at").first()
    if slew is not None:
        figures.slew_after = (slew.at - received.at).total_seconds()
    first = Image.objects.filter(sequence__request=packet.request, frame_type="LIGHT") \
        .order_by("date_end").first() if packet.request_id else None
    if first is not None:
        figures.first_frame_after = (first.date_end - received.at).total_seconds()
    candidates = Candidate.objects.filter(event=packet.event_id)
    figures.candidates = candidates.count()
    best = candidates.first()
    if best is not None:
        figures.best_candidate = str(best)
    return summary

