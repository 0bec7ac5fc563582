"""Which alerts the telescope follows, and how: the strategy, and the decision it gives
for one packet.

A strategy is data (a TOML or JSON document, or a database row through the Strategy
page), never code: rules matching missions and notice types, each saying whether to
observe, at which priority, which error circle is too large for the field of view
(skip, or tile it), how late is too late, and which request template to use. The
decision is a pure function of the packet, the strategy, the unit configuration and the
clock, so it can be recomputed and explained later: it lists every check made, in order,
with its outcome, and stops at the first that fails.

Visibility and dark time come from the scheduler's own calculator at the unit's site, so
an alert is never accepted for a target the planner would then refuse.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pyros import safejson
from pyros.alerts.templates import (
    MAX_TILED_RADIUS,
    Exposures,
    NotObservable,
    Pointing,
    RequestTemplate,
    channels_of,
    exposures_at,
    field_of_view,
    sequence_spec,
    tile_circle,
    tile_count_estimate,
    when_observable,
)
from pyros.alerts.voevent import Alert
from pyros.config.loader import describe_validation_error
from pyros.config.schema import Channel, UnitConfig
from pyros.observations.spec import MAX_SEQUENCES, RequestSpec, check_against_unit

DEFAULT_STRATEGY_PATH = Path(__file__).with_name("default_strategy.toml")
MAX_DELAY = 30 * 86400.0


class StrategyError(ValueError):
    """A strategy document that cannot be used; the message names the bad keys."""


class StrategyModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Rule(StrategyModel):
    """What to do with the packets of some missions and notice types. Empty
    ``notice_types`` and ``packet_types`` match every packet of the missions."""

    name: str = Field(min_length=1, max_length=100)
    missions: list[str] = Field(min_length=1)
    notice_types: list[str] = Field(default_factory=list)
    packet_types: list[int] = Field(default_factory=list)
    observe: bool = True
    reason: str = Field(default="", max_length=200, description="why not, when not observed")
    priority: int = Field(default=5, ge=1, le=10)
    label: str = Field(default="GRB", min_length=1, max_length=30,
                       description="first word of the request's name")
    scientific_program: str | None = Field(default=None, min_length=1, max_length=100)
    max_error_radius_deg: float | None = Field(
        default=None, gt=0, le=180,
        description="larger error circles are skipped or tiled; default: the field's "
                    "inscribed circle")
    tile: bool = False
    max_tiles: int = Field(default=1, ge=1, le=MAX_SEQUENCES)
    max_delay: float = Field(default=86_400.0, gt=0, le=MAX_DELAY,
                             description="seconds after the event time past which it is too "
                                         "late to observe")
    template: str | None = None

    @model_validator(mode="after")
    def _template_when_observed(self) -> Rule:
        if self.observe and not self.template:
            raise ValueError(f"rule '{self.name}' observes, so it needs a template")
        return self

    def matches(self, alert: Alert) -> bool:
        if alert.mission.casefold() not in {m.casefold() for m in self.missions}:
            return False
        if not self.notice_types and not self.packet_types:
            return True
        return (alert.notice_type.upper() in {n.upper() for n in self.notice_types}
                or alert.packet_type in self.packet_types)


class Strategy(StrategyModel):
    name: str = Field(min_length=1, max_length=100)
    description: str = ""
    scientific_program: str = Field(default="GRB", min_length=1, max_length=100)
    target_type: str = Field(default="alert", max_length=50)
    require_visibility: bool = True
    require_night: bool = True
    tile_overlap: float = Field(default=0.1, ge=0.0, le=0.5,
                                description="fraction of the field shared by neighbour tiles")
    templates: dict[str, RequestTemplate] = Field(default_factory=dict)
    rules: list[Rule] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> Strategy:
        names = [rule.name for rule in self.rules]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"rules: two rules are named {', '.join(twice)}")
        for i, rule in enumerate(self.rules):
            if rule.template and rule.template not in self.templates:
                known = ", ".join(self.templates) or "none"
                raise ValueError(f"rules[{i}].template: '{rule.template}' is not a template "
                                 f"(templates: {known})")
        return self

    def rule_for(self, alert: Alert) -> tuple[int, Rule] | None:
        """The first rule matching the packet: order is precedence."""
        for i, rule in enumerate(self.rules):
            if rule.matches(alert):
                return i, rule
        return None


# -- loading ----------------------------------------------------------------------------------

def parse_strategy(data: Any, source: str = "strategy") -> Strategy:
    try:
        return Strategy.model_validate(data)
    except ValidationError as exc:
        lines = [line.removeprefix("(top level): ") for line in describe_validation_error(exc)]
        raise StrategyError(f"{source}: invalid strategy:\n  " + "\n  ".join(lines)) from exc


def load_strategy(source: str | Path) -> Strategy:
    """A strategy from a file (a :class:`Path`) or from its text (a ``str``): TOML, or
    JSON when the text is an object, as the database stores it."""
    name = "strategy"
    if isinstance(source, Path):
        name = str(source)
        try:
            source = source.read_text(encoding="utf-8")
        except OSError as exc:
            raise StrategyError(f"{name}: cannot read the strategy: {exc.strerror}") from exc
    try:
        if source.lstrip().startswith("{"):
            data = safejson.loads(source)
        else:
            data = tomllib.loads(source)
            safejson.check_value(data)
    except RecursionError:  # tomllib recurses into nested arrays and tables
        raise StrategyError(f"{name}: nested deeper than {safejson.MAX_DEPTH} levels") from None
    except (safejson.JSONInputError, tomllib.TOMLDecodeError) as exc:
        raise StrategyError(f"{name}: not valid TOML or JSON: {exc}") from None
    return parse_strategy(data, name)


def default_strategy() -> Strategy:
    return load_strategy(DEFAULT_STRATEGY_PATH)


def check_strategy(strategy: Strategy, unit: UnitConfig) -> list[str]:
    """What the unit says against a strategy (for the Strategy page, before saving):
    detectors and filters it lacks, sequences longer than their window."""
    problems = []
    for name, template in strategy.templates.items():
        try:
            channels = channels_of(template, unit)
        except KeyError as exc:
            problems.append(f"templates.{name}: {exc.args[0]}")
            continue
        bounds = {s.until_s or 0.0 for a in template.albums for s in a.scheme or template.scheme}
        for delay in sorted(bounds | {0.0}):
            exposures = exposures_at(template, channels, delay)
            if exposures.duration > template.window_hours * 3600:
                problems.append(f"templates.{name}: {exposures.duration:g} s of exposures at "
                                f"{delay:g} s do not fit in its {template.window_hours:g} h window")
    return problems


# -- the decision ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class StrategyDecision:
    """Accepted with a request ready for ``observations.store.create_request``, or
    rejected with the reason; ``checks`` says how it was reached. ``cancels``: the packet
    retracts its event, whose requests must be cancelled."""

    accepted: bool
    reason: str
    checks: tuple[Check, ...]
    strategy: str
    strategy_version: str | None
    rule: str | None = None
    request: RequestSpec | None = None
    cancels: bool = False
    decided_at: datetime | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted, "reason": self.reason, "cancels": self.cancels,
            "strategy": self.strategy, "strategy_version": self.strategy_version,
            "rule": self.rule,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "checks": [{"name": c.name, "passed": c.passed, "detail": c.detail}
                       for c in self.checks],
            "request": self.request.model_dump(mode="json") if self.request else None,
        }


class _Rejected(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Log:
    def __init__(self) -> None:
        self.checks: list[Check] = []
        self.rule: str | None = None

    def ok(self, name: str, detail: str) -> None:
        self.checks.append(Check(name, True, detail))

    def fail(self, name: str, reason: str, detail: str | None = None) -> _Rejected:
        self.checks.append(Check(name, False, detail or reason))
        return _Rejected(reason)


def decide(alert: Alert, strategy: Strategy, unit: UnitConfig, now: datetime, *,
           version: str | int | None = None) -> StrategyDecision:
    """What ``strategy`` does with ``alert`` at ``now`` on ``unit``."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    log = _Log()
    made = dict(strategy=strategy.name, decided_at=now,
                strategy_version=None if version is None else str(version))
    try:
        request = _decide(alert, strategy, unit, now, log)
    except _Rejected as rejected:
        return StrategyDecision(False, rejected.reason, tuple(log.checks), rule=log.rule,
                                cancels=alert.is_retraction and not alert.is_test, **made)
    count = len(request.sequences)
    reason = (f"accepted by rule '{log.rule}': {count} pointing{'s' if count > 1 else ''}, "
              f"priority {request.sequences[0].priority}")
    return StrategyDecision(True, reason, tuple(log.checks), rule=log.rule, request=request,
                            **made)


def _decide(alert: Alert, strategy: Strategy, unit: UnitConfig, now: datetime,
            log: _Log) -> RequestSpec:
    kind = f"{alert.mission} {alert.notice_type}"
    if alert.is_test:
        raise log.fail("role", "test packet: logged, never observed", alert.test_reason)
    log.ok("role", f"role {alert.role}, not a test")
    if alert.is_retraction:
        raise log.fail("retraction", "retraction: cancels the event's requests")
    log.ok("retraction", "not a retraction")

    found = strategy.rule_for(alert)
    if found is None:
        raise log.fail("rule", f"no rule for {kind}")
    index, rule = found
    log.rule = rule.name
    log.ok("rule", f"rule '{rule.name}' (rules[{index}]) matches {kind}")
    return _apply(alert, strategy, rule, unit, now, log)


def _apply(alert: Alert, strategy: Strategy, rule: Rule, unit: UnitConfig, now: datetime,
           log: _Log) -> RequestSpec:
    kind = f"{alert.mission} {alert.notice_type}"
    if not rule.observe:
        raise log.fail("observe", rule.reason or f"rule '{rule.name}' does not observe {kind}")
    log.ok("observe", f"rule '{rule.name}' observes at priority {rule.priority}")
    assert rule.template is not None
    template = strategy.templates[rule.template]
    try:
        channels = channels_of(template, unit)
    except KeyError as exc:
        raise log.fail("template", f"template '{rule.template}' does not fit unit "
                                   f"{unit.unit}: {exc.args[0]}") from exc
    log.ok("template", f"template '{rule.template}': "
                       f"{', '.join(c.detector for c in channels)}")

    if not alert.has_position:
        reason = ("no position: sky-map follow-up not configured" if alert.skymap_url
                  else "no position in this packet")
        raise log.fail("position", reason)
    assert alert.ra is not None and alert.dec is not None
    log.ok("position", f"ra {alert.ra:.4f}, dec {alert.dec:+.4f}")
    pointings = _pointings(alert, strategy, rule, channels, log)

    event_time = alert.event_time or alert.issued or now
    delay = (now - event_time).total_seconds()
    if delay > rule.max_delay:
        raise log.fail("delay", f"too late: {_duration(delay)} since the event, past the "
                                f"rule's {_duration(rule.max_delay)}")
    since = "the event" if alert.event_time else "the packet's date (no event time)"
    log.ok("delay", f"{_duration(max(delay, 0.0))} since {since}, "
                    f"within {_duration(rule.max_delay)}")

    end = min(now + timedelta(hours=template.window_hours),
              event_time + timedelta(seconds=rule.max_delay))
    log.ok("window", f"{now:%Y-%m-%d %H:%M:%S} – {end:%Y-%m-%d %H:%M:%S} UTC")
    fits = _schedule(pointings, template, channels, strategy, unit, now, end, event_time, log)

    label = alert.trigger_id or alert.ivorn.partition("#")[2] or alert.ivorn
    title = f"{rule.label} {label}"
    sequences = []
    # The tiles nearest the centre, where the error circle is densest, one priority
    # higher: of tiles of equal priority the planner may take any first, and a burst
    # fades by the minute.
    nearest = min(pointing.offset for pointing, _ in fits)
    for number, (pointing, exposures) in enumerate(fits, start=1):
        name = title if len(fits) == 1 else f"{title} tile {number}/{len(fits)}"
        central = len(fits) > 1 and pointing.offset <= nearest + 1e-9
        priority = min(10, rule.priority + 1) if central else rule.priority
        sequences.append(sequence_spec(name, title, pointing, template, channels, exposures,
                                       priority, (now, end)))
    try:
        request = RequestSpec(
            name=f"{title} ({kind})"[:100],
            scientific_program=rule.scientific_program or strategy.scientific_program,
            target_type=strategy.target_type, submitted=True, sequences=sequences)
    except ValidationError as exc:
        raise log.fail("request", "the request built does not validate: "
                       + "; ".join(describe_validation_error(exc))) from exc
    problems = check_against_unit(request, unit.filters_by_detector(), now)
    if problems:
        raise log.fail("request", "the request built does not validate: "
                       + "; ".join(str(p) for p in problems))
    log.ok("request", f"'{request.name}': {len(sequences)} sequence(s), program "
                      f"{request.scientific_program}")
    return request


def _pointings(alert: Alert, strategy: Strategy, rule: Rule, channels: list[Channel],
               log: _Log) -> list[Pointing]:
    """One pointing at the position, or tiles over the error circle, or the reason why
    the circle is too large."""
    assert alert.ra is not None and alert.dec is not None
    width, height = field_of_view(channels)
    fov = f"{width:.2f}° × {height:.2f}°"
    radius = alert.error_radius or 0.0
    limit = rule.max_error_radius_deg or min(width, height) / 2.0
    whose = "the rule's" if rule.max_error_radius_deg else "the field's"
    if alert.error_radius is None:
        log.ok("error radius", f"none given: one pointing (field of view {fov})")
        return [Pointing(alert.ra, alert.dec, 0.0)]
    if radius <= limit:
        log.ok("error radius", f"{radius:.4g}° within {whose} {limit:.2g}° limit "
                               f"(field of view {fov})")
        return [Pointing(alert.ra, alert.dec, 0.0)]
    too_large = (f"error radius {radius:.3g}° exceeds {whose} {limit:.2g}° limit "
                 f"(field of view {fov})")
    if not rule.tile:
        raise log.fail("error radius", too_large)
    step = (width * (1 - strategy.tile_overlap), height * (1 - strategy.tile_overlap))
    estimate = tile_count_estimate(radius, *step)
    if radius > MAX_TILED_RADIUS or estimate > 4 * rule.max_tiles + 16:
        raise log.fail("error radius", f"{too_large}; tiling it needs about {estimate} "
                                       f"pointings, the rule allows {rule.max_tiles}")
    tiles = tile_circle(alert.ra, alert.dec, radius, (width, height), strategy.tile_overlap)
    if len(tiles) > rule.max_tiles:
        raise log.fail("error radius", f"{too_large}; tiling it needs {len(tiles)} pointings, "
                                       f"the rule allows {rule.max_tiles}")
    log.ok("error radius", f"error radius {radius:.3g}° tiled with {len(tiles)} pointings "
                           f"of {fov} (at most {rule.max_tiles})")
    return tiles


def _schedule(pointings: list[Pointing], template: RequestTemplate, channels: list[Channel],
              strategy: Strategy, unit: UnitConfig, now: datetime, end: datetime,
              event_time: datetime, log: _Log) -> list[tuple[Pointing, Exposures]]:
    check = ("visibility" if strategy.require_visibility
             else "night" if strategy.require_night else "window")
    try:
        runs = when_observable(pointings, template, channels, unit, (now, end), event_time,
                               visibility=strategy.require_visibility,
                               night=strategy.require_night)
    except NotObservable as exc:
        raise log.fail(check, f"not visible before {end:%Y-%m-%d %H:%M} UTC: {exc.reason}") \
            from exc
    first_start, first = runs[0][1], runs[0][2]
    dropped = len(pointings) - len(runs)
    what = {"visibility": "observable (dark time checked with it)", "night": "in dark time",
            "window": "may start"}[check]
    log.ok(check, f"{what} from {first_start:%Y-%m-%d %H:%M} UTC"
                  + (f"; {dropped} of {len(pointings)} tiles are not, left out" if dropped else ""))
    log.ok("exposures", f"{first.describe()}: {first.duration:g} s per pointing")
    return [(pointing, exposures) for pointing, _, exposures in runs]


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"
