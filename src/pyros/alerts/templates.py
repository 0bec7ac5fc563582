"""How a strategy's request template becomes the request of one alert: which exposures
for how long after the trigger, how long a sequence takes on this unit, where to point
(one field, or a grid of fields over an error circle too large for one), and the
:class:`RequestSpec` itself.

Afterglows fade as a power law, so the exposure scheme is a function of the time since
the trigger: short exposures while the source is bright, longer ones later. Everything
here is plain arithmetic on the unit configuration, so a decision can be recomputed and
explained from the strategy, the packet and the clock alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pyros.config.schema import Channel, UnitConfig
from pyros.observations.lifecycle import ObsType
from pyros.observations.spec import (
    MAX_IMAGES_PER_PLAN,
    AlbumSpec,
    PlanSpec,
    SequenceSpec,
)
from pyros.scheduling.problem import ObservationType, SequenceToPlan, night_of
from pyros.scheduling.sky import NightSky, night_sky
from pyros.scheduling.unit import site_of
from pyros.scheduling.visibility import VisibilityCalculator

#: Past this radius a tangent-plane grid no longer describes the circle's area fairly.
MAX_TILED_RADIUS = 30.0


class TemplateModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class ExposureStep(TemplateModel):
    """The images of each plan while the delay since the trigger is below ``until_s``;
    the last step has no ``until_s``: it holds for every later delay."""

    until_s: float | None = Field(default=None, gt=0, description="seconds since the trigger")
    exposure: float = Field(gt=0, le=36_000, description="seconds per image")
    count: int = Field(ge=1, le=MAX_IMAGES_PER_PLAN, description="images per filter")


def _check_scheme(steps: list[ExposureStep]) -> list[ExposureStep]:
    """A scheme must answer for every delay, once: increasing bounds, then a default."""
    for i, step in enumerate(steps[:-1]):
        if step.until_s is None:
            raise ValueError(f"step [{i}] has no until_s: only the last step may be the "
                             "default for later delays")
        following = steps[i + 1].until_s
        if following is not None and following <= step.until_s:
            raise ValueError(f"until_s must increase: step [{i + 1}] ({following:g} s) is not "
                             f"after step [{i}] ({step.until_s:g} s)")
    if steps and steps[-1].until_s is not None:
        raise ValueError("the last step must have no until_s: it is the default for delays "
                         f"past {steps[-1].until_s:g} s")
    return steps


class AlbumTemplate(TemplateModel):
    """What one detector takes at each pointing: one plan per filter."""

    detector: str = Field(min_length=1, max_length=50,
                          description="detector name (or channel name) of the unit")
    filters: list[str] = Field(min_length=1)
    scheme: list[ExposureStep] | None = Field(
        default=None, min_length=1, description="this detector's own scheme, if it differs")

    @field_validator("filters")
    @classmethod
    def _unique_filters(cls, filters: list[str]) -> list[str]:
        if any(not f.strip() for f in filters):
            raise ValueError("filter names must not be empty")
        if len(set(filters)) != len(filters):
            raise ValueError("a filter is listed twice")
        return filters

    @field_validator("scheme")
    @classmethod
    def _scheme(cls, steps: list[ExposureStep] | None) -> list[ExposureStep] | None:
        return _check_scheme(steps) if steps is not None else None


class RequestTemplate(TemplateModel):
    """The sequence made at each pointing, and its constraints."""

    albums: list[AlbumTemplate] = Field(min_length=1)
    scheme: list[ExposureStep] = Field(min_length=1)
    window_hours: float = Field(default=12.0, gt=0, le=24,
                                description="the request may run from now to now + this")
    max_airmass: float = Field(default=2.0, ge=1.0, le=10.0)
    min_moon_separation: float = Field(default=0.0, ge=0.0, le=180.0, description="degrees")
    obs_type: ObsType = ObsType.IMMEDIATE

    @field_validator("scheme")
    @classmethod
    def _scheme(cls, steps: list[ExposureStep]) -> list[ExposureStep]:
        return _check_scheme(steps)

    @field_validator("albums")
    @classmethod
    def _one_album_per_detector(cls, albums: list[AlbumTemplate]) -> list[AlbumTemplate]:
        detectors = [a.detector for a in albums]
        twice = sorted({d for d in detectors if detectors.count(d) > 1})
        if twice:
            raise ValueError(f"one album per detector: {', '.join(twice)} used twice")
        return albums


def step_for(scheme: list[ExposureStep], delay: float) -> ExposureStep:
    """The step that applies ``delay`` seconds after the trigger."""
    for step in scheme:
        if step.until_s is None or delay < step.until_s:
            return step
    return scheme[-1]


def channels_of(template: RequestTemplate, unit: UnitConfig) -> list[Channel]:
    """The unit's channel for each album, or KeyError naming what the unit lacks (a
    strategy written for another unit must say so, not observe with the wrong camera)."""
    channels = []
    for album in template.albums:
        channel = unit.channel(album.detector)
        missing = [f for f in album.filters if f not in channel.filters]
        if missing:
            raise KeyError(f"detector '{channel.detector}' has no filter "
                           f"{', '.join(repr(f) for f in missing)} "
                           f"(filters: {', '.join(channel.filters)})")
        if channel in channels:
            raise KeyError(f"two albums use detector '{channel.detector}'")
        channels.append(channel)
    return channels


def album_duration(album: AlbumTemplate, step: ExposureStep, channel: Channel) -> float:
    """Seconds the detector is busy: every image and its readout, and a filter change
    per plan (the wheel is wherever the previous sequence left it)."""
    per_filter = step.count * (step.exposure + channel.readout_time)
    return len(album.filters) * (per_filter + channel.filter_change_time)


@dataclass(frozen=True)
class Exposures:
    """The step each album uses at one delay, and the sequence's duration: the longest
    album, since the channels expose in parallel."""

    delay: float
    steps: tuple[ExposureStep, ...]
    duration: float

    def describe(self) -> str:
        parts = {f"{s.count} × {s.exposure:g} s" for s in self.steps}
        return f"{' / '.join(sorted(parts))} per filter at {_delay_text(self.delay)}"


def exposures_at(template: RequestTemplate, channels: list[Channel],
                 delay: float) -> Exposures:
    steps = tuple(step_for(album.scheme or template.scheme, delay) for album in template.albums)
    duration = max(album_duration(album, step, channel) for album, step, channel
                   in zip(template.albums, steps, channels, strict=True))
    return Exposures(delay, steps, float(math.ceil(duration)))


def _delay_text(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s after the trigger"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min after the trigger"
    return f"{seconds / 3600:.1f} h after the trigger"


# -- pointings ------------------------------------------------------------------------------

def field_of_view(channels: list[Channel]) -> tuple[float, float]:
    """Width and height (degrees) of the field every album sees: the smallest channel's."""
    width = min(c.width * c.pixel_scale / 3600.0 for c in channels)
    height = min(c.height * c.pixel_scale / 3600.0 for c in channels)
    return width, height


@dataclass(frozen=True)
class Pointing:
    ra: float  # ICRS degrees
    dec: float
    offset: float  # degrees from the alert's position


def tile_count_estimate(radius: float, step_x: float, step_y: float) -> int:
    """About how many cells a grid needs to cover the circle (area ratio, rounded up)."""
    return math.ceil(math.pi * radius * radius / (step_x * step_y))


def tile_circle(ra: float, dec: float, radius: float, fov: tuple[float, float],
                overlap: float) -> list[Pointing]:
    """Pointings whose fields cover the error circle.

    A grid of cells, each a field shrunk by ``overlap`` (the margin absorbs the tangent
    plane's distortion and the fields' rotation away from the centre), is laid on the
    tangent plane at the alert's position; the cells that meet the circle are kept. Of
    the four ways to lay the grid (a cell or a corner at the centre, on each axis) the one
    needing the fewest pointings wins, a centred cell on ties. Pointings come nearest the
    centre first: the error circle is densest there."""
    step_x, step_y = fov[0] * (1.0 - overlap), fov[1] * (1.0 - overlap)
    best: list[tuple[float, float]] | None = None
    for shift_x in (0.0, 0.5):
        for shift_y in (0.0, 0.5):
            cells = _cells(radius, step_x, step_y, shift_x, shift_y)
            if best is None or len(cells) < len(best):
                best = cells
    assert best is not None
    best.sort(key=lambda xy: (round(math.hypot(*xy), 9), -xy[1], xy[0]))
    return [Pointing(*_from_tangent(ra, dec, x, y), offset=math.hypot(x, y)) for x, y in best]


def _cells(radius: float, step_x: float, step_y: float, shift_x: float,
           shift_y: float) -> list[tuple[float, float]]:
    """Centres (tangent-plane degrees) of the cells of one grid that meet the circle."""
    reach_x, reach_y = math.ceil(radius / step_x) + 1, math.ceil(radius / step_y) + 1
    cells = []
    for j in range(-reach_y, reach_y + 1):
        y = (j + shift_y) * step_y
        for i in range(-reach_x, reach_x + 1):
            x = (i + shift_x) * step_x
            nearest_x = max(abs(x) - step_x / 2.0, 0.0)
            nearest_y = max(abs(y) - step_y / 2.0, 0.0)
            if math.hypot(nearest_x, nearest_y) < radius:
                cells.append((x, y))
    return cells


def _from_tangent(ra0: float, dec0: float, x: float, y: float) -> tuple[float, float]:
    """The ICRS position at offsets (x east, y north, degrees) on the gnomonic plane
    tangent at (ra0, dec0)."""
    xi, eta = math.radians(x), math.radians(y)
    rho = math.hypot(xi, eta)
    if rho == 0.0:
        return ra0, dec0
    c = math.atan(rho)
    d0 = math.radians(dec0)
    dec = math.asin(math.cos(c) * math.sin(d0) + eta * math.sin(c) * math.cos(d0) / rho)
    ra = math.radians(ra0) + math.atan2(
        xi * math.sin(c), rho * math.cos(d0) * math.cos(c) - eta * math.sin(d0) * math.sin(c))
    return math.degrees(ra) % 360.0, math.degrees(dec)


# -- the request ----------------------------------------------------------------------------

def sequence_spec(name: str, target: str, pointing: Pointing, template: RequestTemplate,
                  channels: list[Channel], exposures: Exposures, priority: int,
                  window: tuple[datetime, datetime]) -> SequenceSpec:
    albums = []
    for album, step, channel in zip(template.albums, exposures.steps, channels, strict=True):
        plans = [PlanSpec(name=f"{f} {step.count}x{step.exposure:g}s", filter=f,
                          exposure=step.exposure, nb_images=step.count)
                 for f in album.filters]
        albums.append(AlbumSpec(name=channel.name, detector=channel.detector, plans=plans))
    ra = pointing.ra if pointing.ra < 360.0 else 0.0
    return SequenceSpec(
        name=name[:100], target=target[:100], ra=ra, dec=pointing.dec,
        start=window[0], end=window[1], duration=exposures.duration, priority=priority,
        obs_type=template.obs_type, max_airmass=template.max_airmass,
        min_moon_separation=template.min_moon_separation, albums=albums)


# -- when ---------------------------------------------------------------------------------------

Interval = tuple[datetime, datetime]


class NotObservable(Exception):
    """No pointing can run its sequence within the window; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def when_observable(pointings: list[Pointing], template: RequestTemplate,
                    channels: list[Channel], unit: UnitConfig, window: Interval,
                    event_time: datetime, *, visibility: bool, night: bool
                    ) -> list[tuple[Pointing, datetime, Exposures]]:
    """The pointings that can run within ``window``, each with the earliest moment it can
    start and the exposures for the delay at that moment (a daytime trigger is observed
    hours later, so with the late exposures). With ``visibility`` that moment comes from
    the scheduler's calculator (dark time, airmass, horizon, mount limits); with only
    ``night``, from the dark time; otherwise it is the window's start."""
    now = window[0]
    if visibility:
        intervals = _visible(pointings, template, unit, window)
    elif night:
        intervals = [_dark(unit, window)] * len(pointings)
    else:
        intervals = [[window]] * len(pointings)

    def at(moment: datetime) -> Exposures:
        return exposures_at(template, channels, (moment - event_time).total_seconds())

    runs = []
    for pointing, observable in zip(pointings, intervals, strict=True):
        for start, stop in observable:
            exposures = at(start)
            if (stop - start).total_seconds() >= exposures.duration:
                runs.append((pointing, start, exposures))
                break
    if runs:
        return runs
    earliest = min((observable[0][0] for observable in intervals if observable), default=now)
    needed = at(earliest).duration
    if visibility:
        raise NotObservable(_visibility_reason(pointings[0], template, unit, window, needed))
    if night and not intervals[0]:
        raise NotObservable(f"the window meets no dark time ({_dark_text(unit, window)})")
    longest = max(((b - a).total_seconds() for a, b in intervals[0]), default=0.0)
    where = f"dark time in the window ({_dark_text(unit, window)})" if night else "the window"
    raise NotObservable(f"{longest / 60:.0f} min of {where}, the sequence needs "
                        f"{needed / 60:.0f} min")


def _nights(unit: UnitConfig, window: Interval) -> list[date]:
    """The nights a window of at most a day meets: one or two."""
    longitude = unit.site.longitude
    return sorted({night_of(window[0], longitude), night_of(window[1], longitude)})


def _in_window(sky: NightSky, window: Interval) -> Interval | None:
    """The part of the night's dark time inside the window."""
    if not sky.has_dark_time:
        return None
    start, stop = (sky.at(s) for s in sky.dark_seconds)
    start, stop = max(start, window[0]), min(stop, window[1])
    return (start, stop) if stop > start else None


def _sequences(pointings: list[Pointing], template: RequestTemplate, window: Interval,
               duration: float) -> list[SequenceToPlan]:
    return [SequenceToPlan(
        id=str(i), ra=p.ra, dec=p.dec, duration=duration, window=window,
        obs_type=ObservationType.IMMEDIATE, max_airmass=template.max_airmass,
        min_moon_separation=template.min_moon_separation or None)
        for i, p in enumerate(pointings)]


def _visible(pointings: list[Pointing], template: RequestTemplate, unit: UnitConfig,
             window: Interval) -> list[list[Interval]]:
    """Per pointing, the intervals of the window in which it is observable, over the
    nights the window meets (computed for a 1 s sequence: the caller fits the real
    duration, which depends on when it starts)."""
    site = site_of(unit)
    sequences = _sequences(pointings, template, window, 1.0)
    intervals: list[list[Interval]] = [[] for _ in pointings]
    for night in _nights(unit, window):
        sky = night_sky(site, night)
        for i, visibility in enumerate(VisibilityCalculator(sky).compute(sequences)):
            intervals[i].extend((sky.at(s), sky.at(e)) for s, e in visibility.intervals)
    return [sorted(observable) for observable in intervals]


def _visibility_reason(pointing: Pointing, template: RequestTemplate, unit: UnitConfig,
                       window: Interval, duration: float) -> str:
    """The calculator's own words for why the sequence cannot run, from the nights whose
    dark time the window meets (the others would only say so)."""
    site = site_of(unit)
    sequences = _sequences([pointing], template, window, duration)
    meeting, others = [], []
    for night in _nights(unit, window):
        sky = night_sky(site, night)
        reason = VisibilityCalculator(sky).compute(sequences)[0].reason
        (meeting if _in_window(sky, window) else others).append(reason)
    return "; ".join(dict.fromkeys(r for r in meeting or others if r))


def _dark(unit: UnitConfig, window: Interval) -> list[Interval]:
    site = site_of(unit)
    runs = [_in_window(night_sky(site, night), window) for night in _nights(unit, window)]
    return [run for run in runs if run is not None]


def _dark_text(unit: UnitConfig, window: Interval) -> str:
    darks = []
    for night in _nights(unit, window):
        sky = night_sky(site_of(unit), night)
        if sky.has_dark_time:
            darks.append(" – ".join(f"{sky.at(s):%Y-%m-%d %H:%M}" for s in sky.dark_seconds))
    return "dark time " + ("; ".join(darks) + " UTC" if darks else "none")
