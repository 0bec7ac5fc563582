"""What the Schedule pages show of a plan, and the geometry of its timeline.

A plan reaches the pages from two places — a stored :class:`Schedule`, or a simulation
file planned on the spot — so both become one :class:`PlanView`, and one template draws
it. The timeline is drawn on the server (``templates/scheduling/_chart.html`` writes the
SVG from a :class:`Chart`): the altitude curves need the night's sky, which only the
server has, and the page then reads without JavaScript. All coordinates are computed
here, rounded, in the SVG's own units.

The night runs from sunset to sunrise (rounded outward to the half hour), shaded by the
sun's altitude: day, civil, nautical and astronomical twilight, night.
"""

from __future__ import annotations

from collections.abc import Sequence as Seq
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import numpy as np

from pyros.scheduling.models import Schedule
from pyros.scheduling.problem import PlanResult, Problem, SiteSpec
from pyros.scheduling.sky import DAY, NightSky, night_sky
from pyros.scheduling.tonight import night_moon

#: The statuses the timeline colours; any other is drawn as OTHER.
STATUSES: tuple[str, ...] = ("PLANNED", "EXECUTING", "EXECUTED", "FAILED")

WIDTH = 960.0
LEFT, RIGHT, TOP = 40.0, 12.0, 12.0
BOTTOM = 262.0  # altitude 0
STRIP_TOP, STRIP_HEIGHT = 270.0, 12.0  # the plan's blocks in a row under the plot
AXIS_Y = 298.0  # baseline of the hour labels
HEIGHT = 306.0
ROUND_TO = 1800.0  # seconds: the ends of the night, outward
MIN_LABELLED = 12.0  # the narrowest block whose number is written above it

#: The sun's altitude below which each part of the night begins, darkest last.
SUN_LEVELS: tuple[tuple[str, float], ...] = (
    ("civil", -0.833), ("nautical", -6.0), ("astronomical", -12.0), ("night", -18.0))
BAND_NAMES = {"day": "day", "civil": "civil twilight", "nautical": "nautical twilight",
              "astronomical": "astronomical twilight", "night": "night"}


# --- What the pages show ---------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """A planned sequence."""

    number: int  # its place in the plan, from 1
    key: str  # the sequence's id
    name: str
    target: str
    ra: float
    dec: float
    start: datetime
    end: datetime
    priority: int
    status: str
    request: int | None = None
    request_name: str = ""

    @property
    def status_class(self) -> str:
        return self.status if self.status in STATUSES else "OTHER"

    @property
    def duration(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True)
class Missed:
    """A sequence the plan left out, and why."""

    key: str
    name: str
    target: str
    priority: int
    reason: str
    request: int | None = None
    request_name: str = ""


@dataclass
class PlanView:
    """A plan as the pages show it; ``schedule`` is None for a simulation."""

    site: SiteSpec
    night: date
    rows: list[Row]
    missed: list[Missed]
    engine: str = ""
    objective: float = 0.0
    bound: float | None = None
    proven_optimal: bool = False
    elapsed: float = 0.0
    schedule: Schedule | None = None
    planned: bool = True  # False: no plan yet, only the night

    @property
    def quality(self) -> float | None:
        if not self.bound:
            return None
        return min(1.0, self.objective / self.bound)

    @property
    def quality_percent(self) -> float | None:
        quality = self.quality
        return None if quality is None else round(100.0 * quality, 1)


def plan_of_schedule(schedule: Schedule, site: SiteSpec) -> PlanView:
    entries = schedule.entries.select_related("sequence__request").order_by("position")
    unplanned = schedule.unplanned.select_related("sequence__request").order_by("sequence_id")
    rows = [Row(number=i, key=str(e.sequence_id), name=e.sequence.name,
                target=e.sequence.target_name, ra=e.sequence.ra, dec=e.sequence.dec,
                start=e.start, end=e.end, priority=e.sequence.priority,
                status=e.sequence.status, request=e.sequence.request_id,
                request_name=e.sequence.request.name) for i, e in enumerate(entries, 1)]
    missed = [Missed(key=str(u.sequence_id), name=u.sequence.name,
                     target=u.sequence.target_name, priority=u.sequence.priority,
                     reason=u.reason, request=u.sequence.request_id,
                     request_name=u.sequence.request.name) for u in unplanned]
    return PlanView(site=site, night=schedule.night, rows=rows, missed=missed,
                    engine=schedule.engine, objective=schedule.objective, bound=schedule.bound,
                    proven_optimal=schedule.proven_optimal, elapsed=schedule.elapsed,
                    schedule=schedule)


def _position(ra: float, dec: float) -> str:
    return f"RA {ra:.3f}° Dec {dec:+.3f}°"


def plan_of_simulation(problem: Problem, result: PlanResult) -> PlanView:
    """A simulated plan: its sequences are the file's, named by their ids and shown by
    their positions (the file has no target names), all PLANNED."""
    sequences = {s.id: s for s in problem.sequences}
    rows = []
    for i, placement in enumerate(result.placements, 1):
        sequence = sequences[placement.id]
        rows.append(Row(number=i, key=placement.id, name=placement.id,
                        target=_position(sequence.ra, sequence.dec), ra=sequence.ra,
                        dec=sequence.dec, start=placement.start, end=placement.end,
                        priority=sequence.priority, status="PLANNED"))
    missed = []
    for rejection in result.rejections:
        sequence = sequences.get(rejection.id)
        missed.append(Missed(key=rejection.id, name=rejection.id,
                             target=_position(sequence.ra, sequence.dec) if sequence else "",
                             priority=sequence.priority if sequence else 0,
                             reason=rejection.reason))
    return PlanView(site=problem.site, night=problem.night, rows=rows, missed=missed,
                    engine=result.engine, objective=result.objective, bound=result.bound,
                    proven_optimal=result.proven_optimal, elapsed=result.elapsed)


def empty_plan(site: SiteSpec, night: date) -> PlanView:
    """The night alone, before any plan."""
    return PlanView(site=site, night=night, rows=[], missed=[], planned=False)


# --- The timeline's geometry -----------------------------------------------------------


@dataclass(frozen=True)
class Band:
    """A stretch of the night with the sun in one range of altitudes."""

    x: float
    width: float
    kind: str  # day, civil, nautical, astronomical, night
    title: str


@dataclass(frozen=True)
class Tick:
    at: float  # x for hours, y for altitudes
    label: str

    @property
    def text_at(self) -> float:
        """Where an altitude's label goes: its baseline a little below the line."""
        return round(self.at + 3.0, 1)


@dataclass(frozen=True)
class Track:
    """A planned sequence on the timeline: its target's altitude all night (``curve``),
    the part of it the plan uses (``block``), and its block in the row under the plot."""

    row: Row
    curve: str  # SVG path data
    block: str
    bar_x: float
    bar_width: float
    label_x: float
    label_y: float
    labelled: bool  # wide enough for its number above it
    title: str


@dataclass
class Chart:
    start: datetime
    end: datetime
    bands: list[Band]
    hours: list[Tick]
    altitudes: list[Tick]
    tracks: list[Track]
    moon: str
    moon_illumination: int  # percent, at the middle of the dark time (scheduling.tonight)
    moon_up: bool
    now: datetime
    now_x: float | None  # None: now is outside this night
    min_altitude_y: float | None
    dark_start: datetime | None  # the sun below the site's night altitude
    dark_end: datetime | None
    width: float = WIDTH
    height: float = HEIGHT
    left: float = LEFT
    right: float = WIDTH - RIGHT
    top: float = TOP
    bottom: float = BOTTOM
    strip_top: float = STRIP_TOP
    strip_height: float = STRIP_HEIGHT
    axis_y: float = AXIS_Y
    tick_x: float = LEFT - 4.0  # the right end of the altitude labels
    now_label_y: float = TOP - 2.0
    statuses: tuple[str, ...] = field(default=STATUSES)

    @property
    def plot_width(self) -> float:
        return self.right - self.left

    @property
    def plot_height(self) -> float:
        return self.bottom - self.top

    @property
    def strip_bottom(self) -> float:
        return self.strip_top + self.strip_height


def _rounded(moment: datetime, up: bool) -> datetime:
    seconds = moment.timestamp()
    steps = np.ceil(seconds / ROUND_TO) if up else np.floor(seconds / ROUND_TO)
    return datetime.fromtimestamp(float(steps) * ROUND_TO, tz=UTC)


def night_span(sky: NightSky, rows: Seq[Row] = ()) -> tuple[float, float]:
    """Seconds after noon from sunset to sunrise, rounded outward, widened to the plan."""
    sunset = sky.twilights.sunset if sky.twilights.sunset is not None else 0.0
    sunrise = sky.twilights.sunrise if sky.twilights.sunrise is not None else DAY
    start = sky.seconds_of(_rounded(sky.at(sunset), up=False))
    end = sky.seconds_of(_rounded(sky.at(sunrise), up=True))
    for row in rows:
        start = min(start, sky.seconds_of(row.start))
        end = max(end, sky.seconds_of(row.end))
    start, end = max(0.0, start), min(DAY, end)
    if end <= start:
        start, end = 0.0, DAY
    return start, end


def _sun_kind(altitude: float) -> str:
    kind = "day"
    for name, level in SUN_LEVELS:
        if altitude < level:
            kind = name
    return kind


def _hhmm(sky: NightSky, seconds: float) -> str:
    return f"{sky.at(seconds):%H:%M}"


def draw(plan: PlanView, now: datetime) -> Chart:
    sky = night_sky(plan.site, plan.night)
    s0, s1 = night_span(sky, plan.rows)
    span = s1 - s0

    def x(seconds: float) -> float:
        return round(LEFT + (WIDTH - LEFT - RIGHT) * (seconds - s0) / span, 1)

    def y(altitude: float) -> float:
        return round(TOP + (BOTTOM - TOP) * (1.0 - altitude / 90.0), 1)

    def path(times: np.ndarray, altitudes: np.ndarray) -> str:
        return "M" + "L".join(f"{x(t)},{y(a)}" for t, a in zip(times, altitudes, strict=True))

    def sampled(a: float, b: float) -> np.ndarray:
        inner = sky.seconds[(sky.seconds > a) & (sky.seconds < b)]
        return np.concatenate(([a], inner, [b]))

    # Twilight bands: between two successive crossings the sun stays in one range.
    twilights = sky.twilights
    crossings = [twilights.sunset, twilights.sunrise, *twilights.civil, *twilights.nautical,
                 *twilights.astronomical]
    edges = sorted({s0, s1, *(c for c in crossings if c is not None and s0 < c < s1)})
    stretches: list[tuple[float, float, str]] = []
    for a, b in pairwise(edges):
        kind = _sun_kind(float(np.interp((a + b) / 2, sky.seconds, sky.sun_alt)))
        if stretches and stretches[-1][2] == kind:
            a = stretches.pop()[0]
        stretches.append((a, b, kind))
    bands = [Band(x=x(a), width=round(x(b) - x(a), 1), kind=kind,
                  title=f"{BAND_NAMES[kind]} {_hhmm(sky, a)}–{_hhmm(sky, b)} UTC")
             for a, b, kind in stretches]

    first_hour = sky.at(s0).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    step = timedelta(hours=2 if span > 16 * 3600 else 1)
    hours = []
    moment = first_hour
    while sky.seconds_of(moment) < s1:
        hours.append(Tick(x(sky.seconds_of(moment)), f"{moment:%H}"))
        moment += step
    altitudes = [Tick(y(a), f"{a}°") for a in (0, 30, 60, 90)]

    tracks: list[Track] = []
    if plan.rows:
        alt, _, _ = sky.altaz(np.array([r.ra for r in plan.rows]),
                              np.array([r.dec for r in plan.rows]))
        whole = sampled(s0, s1)
        for row, profile in zip(plan.rows, alt, strict=True):
            b0 = min(max(sky.seconds_of(row.start), s0), s1)
            b1 = min(max(sky.seconds_of(row.end), b0), s1)
            inside = sampled(b0, b1)
            middle = (b0 + b1) / 2
            tracks.append(Track(
                row=row, curve=path(whole, np.interp(whole, sky.seconds, profile)),
                block=path(inside, np.interp(inside, sky.seconds, profile)),
                bar_x=x(b0), bar_width=max(1.0, round(x(b1) - x(b0), 1)),
                label_x=x(middle),
                label_y=max(TOP + 8, y(float(np.interp(middle, sky.seconds, profile))) - 6),
                labelled=x(b1) - x(b0) >= MIN_LABELLED,
                title=(f"#{row.number} {row.name}" + (f" ({row.target})" if row.target else "")
                       + f", {row.start:%H:%M}–{row.end:%H:%M} UTC, priority {row.priority}, "
                       f"{row.status}")))

    whole = sampled(s0, s1)
    moon_alt = np.interp(whole, sky.seconds, sky.moon_alt)
    now_seconds = sky.seconds_of(now)
    min_altitude = plan.site.min_altitude
    dark_start, dark_end = sky.dark_seconds
    return Chart(
        start=sky.at(s0), end=sky.at(s1), bands=bands, hours=hours, altitudes=altitudes,
        tracks=tracks, moon=path(whole, moon_alt), moon_illumination=night_moon(sky).illumination,
        moon_up=bool((moon_alt > 0).any()), now=now,
        now_x=x(now_seconds) if s0 <= now_seconds <= s1 else None,
        min_altitude_y=y(min_altitude) if 0 < min_altitude < 90 else None,
        dark_start=sky.at(dark_start) if sky.has_dark_time else None,
        dark_end=sky.at(dark_end) if sky.has_dark_time else None)
