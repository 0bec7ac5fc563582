"""A night's states as a strip of time, for the night log page: what the transitions in
the log say the observatory was doing, hour by hour — closed, opening or closing, open
and waiting, observing, in remote hands — from the first transition to the last line of
that night (or now, tonight). A glance answers "how much of the night did we observe,
and when were we closed?", which a list of lines does not.

Plain Python: the view gives the transitions, this lays them out for the SVG template.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pyros.majordome.states import State

#: How a state is drawn: its group (a colour) and the legend's words.
GROUPS: dict[State, str] = {
    State.STARTING: "closed", State.PASSIVE_NO_PLC: "closed", State.PASSIVE: "closed",
    State.STANDBY: "closed", State.SCHEDULER_STANDBY: "closed",
    State.OPENING: "moving", State.CLOSING: "moving",
    State.SCHEDULER_READY: "open", State.OBSERVING: "observing", State.REMOTE: "remote",
}
LEGEND = (("closed", "closed"), ("moving", "opening or closing"), ("open", "open, waiting"),
          ("observing", "observing"), ("remote", "remote control"))

WIDTH, HEIGHT = 900.0, 64.0
LEFT, RIGHT = 10.0, 890.0
BAND_TOP, BAND_HEIGHT = 8.0, 30.0
LABEL_Y = 56.0


@dataclass(frozen=True)
class Transition:
    time: datetime
    state: State  # the state entered
    cause: str


@dataclass(frozen=True)
class Segment:
    state: str
    group: str
    start: datetime
    end: datetime
    x: float
    width: float
    title: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Timeline:
    start: datetime
    end: datetime
    segments: tuple[Segment, ...]
    ticks: tuple[Tick, ...]
    observing_share: float  # of the time drawn, observing (0 to 1)
    width: float = WIDTH
    height: float = HEIGHT
    band_top: float = BAND_TOP
    band_height: float = BAND_HEIGHT
    label_y: float = LABEL_Y
    tick_bottom: float = BAND_TOP + BAND_HEIGHT + 4.0
    legend: tuple[tuple[str, str], ...] = LEGEND


def lay_out(transitions: list[Transition], end: datetime) -> Timeline | None:
    """The strip from the first transition to ``end``; None when there is nothing to
    draw (no transition, or ``end`` not after the first)."""
    ordered = sorted(transitions, key=lambda t: t.time)
    if not ordered or end <= ordered[0].time:
        return None
    start = ordered[0].time
    span = (end - start).total_seconds()

    def x_of(moment: datetime) -> float:
        return LEFT + (RIGHT - LEFT) * (moment - start).total_seconds() / span

    segments = []
    for here, following in zip(ordered, [*ordered[1:], None], strict=True):
        until = min(following.time, end) if following is not None else end
        if until <= here.time:
            continue
        x = x_of(here.time)
        segments.append(Segment(
            state=here.state.value, group=GROUPS[here.state], start=here.time, end=until,
            x=round(x, 2), width=round(max(x_of(until) - x, 0.5), 2),
            title=f"{here.state.value} {here.time:%H:%M}–{until:%H:%M} UTC: {here.cause}"))
    observing = sum((s.end - s.start).total_seconds() for s in segments
                    if s.group == "observing")
    return Timeline(start=start, end=end, segments=tuple(segments),
                    ticks=_hour_ticks(start, end, x_of), observing_share=observing / span)


def _hour_ticks(start: datetime, end: datetime, x_of) -> tuple[Tick, ...]:
    """Whole hours (every second hour past eight) in UTC."""
    hours = (end - start).total_seconds() / 3600.0
    step = 1 if hours <= 8 else 2
    tick = start.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    ticks = []
    while tick < end:
        if tick.hour % step == 0:
            ticks.append(Tick(x=round(x_of(tick), 2), label=f"{tick:%H}h"))
        tick += timedelta(hours=1)
    return tuple(ticks)
