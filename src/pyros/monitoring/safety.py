"""The safety decision: per criterion a threshold from the configuration, a hysteresis
(a value must come back well inside the threshold to count as good again) and a delay
(unsafe at once; safe again only after conditions stayed good for ``safe_delay``).
Missing or stale data is unsafe. Every decision carries its reasons.

With no history (a fresh database, or a stored decision too old to vouch for the
present) nothing says the conditions were good for ``safe_delay``: safety starts
unknown (NO_DATA) and becomes safe only after ``safe_delay`` of good readings, as
after rain. A monitoring restarted while its stored decision is not stale carries on
from it (``resume``, ``resume_safe``).

Clouds do not endanger the telescope: CLOUDY is reported (and is the observing
conditions the scheduler uses) but leaves the site safe.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from pyros.config.schema import Safety
from pyros.monitoring.synthesis import Synthesis


class GlobalStatus(StrEnum):
    OK = "OK"
    CLOUDY = "CLOUDY"
    HUMID = "HUMID"
    WINDY = "WINDY"
    RAINING = "RAINING"
    NO_DATA = "NO_DATA"
    POWER = "POWER"
    INTRUSION = "INTRUSION"
    EMERGENCY = "EMERGENCY"


#: Most severe first: the global status is the first criterion that is not OK.
SEVERITY = (GlobalStatus.EMERGENCY, GlobalStatus.INTRUSION, GlobalStatus.POWER,
            GlobalStatus.NO_DATA, GlobalStatus.RAINING, GlobalStatus.WINDY,
            GlobalStatus.HUMID, GlobalStatus.CLOUDY)
UNSAFE = frozenset(SEVERITY) - {GlobalStatus.CLOUDY}


@dataclass(frozen=True)
class Conditions:
    """What the scheduler needs from the weather."""

    sky: str  # clear, cloudy or unknown
    sky_brightness: float | None  # mag/arcsec², where measured


@dataclass(frozen=True)
class SafetyDecision:
    time: datetime
    safe: bool
    status: GlobalStatus
    reasons: tuple[str, ...]
    conditions: Conditions
    active: tuple[GlobalStatus, ...] = ()  # every criterion not OK, most severe first


@dataclass
class _Criterion:
    bad: bool = False
    good_since: datetime | None = None
    reasons: list[str] = field(default_factory=list)


NO_HISTORY = "no earlier readings: safety is unknown until safe_delay of good ones"


class SafetyEvaluator:
    """Stateful: it remembers when each criterion last turned good. It starts with no
    history: NO_DATA, as bad until ``safe_delay`` of good readings."""

    def __init__(self, safety: Safety) -> None:
        self.safety = safety
        self._state = {status: _Criterion() for status in SEVERITY}
        self._state[GlobalStatus.NO_DATA] = _Criterion(bad=True, reasons=[NO_HISTORY])

    def resume_safe(self) -> None:
        """Carry on from a recent stored safe decision (a restart): the history says the
        conditions were good, so the site stays safe while they are."""
        self._state[GlobalStatus.NO_DATA] = _Criterion()

    def resume(self, unsafe: GlobalStatus, reasons: tuple[str, ...] = ()) -> None:
        """Carry on from a stored unsafe decision (after a restart): the criterion counts
        as bad, so the site is safe again only after ``safe_delay`` of good readings."""
        if unsafe != GlobalStatus.NO_DATA:  # the history says what was wrong
            self._state[GlobalStatus.NO_DATA] = _Criterion()
        if unsafe in self._state:
            state = self._state[unsafe]
            state.bad, state.good_since = True, None
            state.reasons = [r.split(": ", 1)[-1] for r in reasons] or ["before a restart"]

    def _over(self, value: float, limit: float, was_bad: bool) -> bool:
        """Over ``limit``; once over, it stays so until back under the hysteresis."""
        if was_bad and limit > 0:
            return value > limit - limit * self.safety.hysteresis
        return value > limit

    def evaluate(self, synthesis: Synthesis) -> SafetyDecision:
        s, get, now = self.safety, synthesis.get, synthesis.time
        found: dict[GlobalStatus, list[str]] = {status: [] for status in SEVERITY}

        def check(status: GlobalStatus, quantity: str, limit: float, what: str,
                  unit: str) -> None:
            value = get(quantity)
            if isinstance(value, int | float) and not isinstance(value, bool) and \
                    self._over(value, limit, self._state[status].bad):
                found[status].append(f"{what} {value:g} {unit} (limit {limit:g})")

        missing = [name for name, needed in (("rain", ("rain_rate", "rain_detected")),
                                             ("wind", ("wind_speed",)),
                                             ("humidity", ("humidity",)))
                   if all(get(q) is None for q in needed)]
        for name in missing:
            why = "; ".join(v.reason for q, v in synthesis.values.items()
                            if name in q and v.reason) or "no sensor configured"
            found[GlobalStatus.NO_DATA].append(f"no valid {name} data ({why})")
        check(GlobalStatus.RAINING, "rain_rate", s.max_rain_rate, "rain rate", "mm/h")
        if get("rain_detected") is True:
            found[GlobalStatus.RAINING].append("the rain detector is wet")
        check(GlobalStatus.WINDY, "wind_speed", s.max_wind_speed, "wind", "m/s")
        check(GlobalStatus.WINDY, "wind_gust", s.max_wind_gust, "gusts", "m/s")
        check(GlobalStatus.HUMID, "humidity", s.max_humidity, "humidity", "%")
        temperature, dew_point = get("temperature"), get("dew_point")
        if isinstance(temperature, float | int) and isinstance(dew_point, float | int):
            margin = temperature - dew_point
            if margin < s.min_dew_point_margin:
                found[GlobalStatus.HUMID].append(
                    f"{margin:.1f} K above the dew point (minimum {s.min_dew_point_margin:g})")
        sky = "unknown"
        sky_temperature = get("sky_temperature")
        if isinstance(sky_temperature, float | int) and isinstance(temperature, float | int):
            difference = sky_temperature - temperature
            cloudy = difference > s.max_sky_minus_ambient
            sky = "cloudy" if cloudy else "clear"
            if cloudy:
                found[GlobalStatus.CLOUDY].append(
                    f"sky {difference:.1f} K below ambient (clear under "
                    f"{s.max_sky_minus_ambient:g})")
        if get("mains_power") is False:
            found[GlobalStatus.POWER].append("mains power lost")
        if get("ups_on_battery") is True:
            found[GlobalStatus.POWER].append("the UPS runs on its battery")
        level = get("ups_battery_level")
        if isinstance(level, float | int) and level < s.min_ups_battery:
            found[GlobalStatus.POWER].append(f"UPS battery at {level:g} % "
                                             f"(minimum {s.min_ups_battery:g})")
        if get("intrusion") is True:
            found[GlobalStatus.INTRUSION].append("intrusion detected")
        if get("emergency_stop") is True:
            found[GlobalStatus.EMERGENCY].append("emergency stop pressed")

        active: list[GlobalStatus] = []
        reasons: list[str] = []
        for status in SEVERITY:
            state, now_bad = self._state[status], bool(found[status])
            if now_bad:
                state.bad, state.good_since, state.reasons = True, None, found[status]
            elif state.bad:
                state.bad, state.good_since = False, now
            waiting = 0.0
            if not now_bad and state.good_since is not None:
                waiting = s.safe_delay - (now - state.good_since).total_seconds()
                if waiting <= 0 or status == GlobalStatus.CLOUDY:
                    state.good_since, waiting = None, 0.0
            if now_bad:
                active.append(status)
                reasons += [f"{status}: {r}" for r in found[status]]
            elif waiting > 0:
                active.append(status)
                reasons.append(f"{status}: good again for "
                               f"{(now - state.good_since).total_seconds():.0f} s, safe after "
                               f"{s.safe_delay:g} s (was: {'; '.join(state.reasons)})")
        brightness = get("sky_brightness")
        conditions = Conditions(sky, brightness if isinstance(brightness, float) else None)
        status = active[0] if active else GlobalStatus.OK
        safe = not any(a in UNSAFE for a in active)
        return SafetyDecision(now, safe, status, tuple(reasons), conditions, tuple(active))
