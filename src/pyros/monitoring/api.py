"""The REST API of the Weather and Observatory pages: the current weather with each
value's origin, the weather's history for plots, and the site's status with the safety
timeline. Read-only.

Everyone may read them, anonymous visitors included: the rights matrix gives READ on
"weather" and "observatory" to every profile, Visitor included (the permission checks
the matrix, so that a site that hides them changes one line of the matrix).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal

from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from pydantic import BaseModel, ConfigDict, Field
from rest_framework.exceptions import ParseError
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request as ApiRequest
from rest_framework.response import Response
from rest_framework.views import APIView

from pyros import clock
from pyros.accounts.models import user_access
from pyros.accounts.rights import Access
from pyros.agents.api import DetailOut
from pyros.monitoring.models import SafetyState, SiteWatch, WeatherWatch
from pyros.monitoring.quantities import QUANTITIES
from pyros.monitoring.safety import SEVERITY, GlobalStatus

WEATHER = "weather"
OBSERVATORY = "observatory"
MAX_POINTS = 1000
DEFAULT_MINUTES = 24 * 60
MAX_MINUTES = 366 * 24 * 60
TIMELINE = timedelta(days=7)
MAX_CHANGES = 200

_OUTPUT = ConfigDict(json_schema_serialization_defaults_required=True)
_RANK = {GlobalStatus.OK.value: 0} | {s.value: len(SEVERITY) - i for i, s in enumerate(SEVERITY)}

#: The plotted series: the worst value of a bucket where safety looks at the worst
#: (rain, wind, humidity), the mean elsewhere.
SERIES: dict[str, tuple[str, str, Literal["max", "mean"]]] = {
    "rain_rate": ("Rain rate", "mm/h", "max"),
    "wind_speed": ("Wind speed", "m/s", "max"),
    "wind_gust": ("Wind gust", "m/s", "max"),
    "humidity": ("Humidity", "%", "max"),
    "temperature": ("Temperature", "°C", "mean"),
    "dew_point": ("Dew point", "°C", "mean"),
    "sky_minus_ambient": ("Sky minus ambient", "K", "mean"),
    "pressure": ("Pressure", "hPa", "mean"),
}

#: How the pages write a boolean quantity: (when true, when false).
BOOL_WORDS: dict[str, tuple[str, str]] = {
    "rain_detected": ("wet", "dry"),
    "doors_open": ("open", "closed"),
    "lights_on": ("on", "off"),
    "mains_power": ("present", "lost"),
    "ups_on_battery": ("on battery", "on mains"),
    "intrusion": ("detected", "none"),
    "emergency_stop": ("pressed", "released"),
    "night_ack": ("given", "not given"),
    "plc_bypass": ("set", "not set"),
}
#: Site states that make the site unsafe (the safety decision says why).
ALARMS: dict[str, bool] = {"mains_power": False, "ups_on_battery": True, "intrusion": True,
                           "emergency_stop": True}


# --- Output models ---------------------------------------------------------------------


class ValueOut(BaseModel):
    """One quantity's value, and where it comes from."""

    model_config = _OUTPUT

    quantity: str
    label: str
    unit: str
    value: float | bool | str | None = Field(description="null when no sensor gave a "
                                                          "valid, fresh value")
    text: str = Field(description="the value as the pages write it, with its unit")
    source: str = Field(description="device.value of the sensor used; empty when missing")
    fallback: bool = Field(description="a secondary sensor's, the primary being unusable")
    reason: str = Field(description="why the value is missing, or why the primary "
                                    "sensor was not used")
    measured_at: datetime | None = Field(description="when the sensor measured it")
    alarm: bool = Field(description="a site state that makes the site unsafe")


class SafetyOut(BaseModel):
    """The latest safety decision."""

    model_config = _OUTPUT

    safe: bool
    status: GlobalStatus = Field(description="the most severe criterion not OK")
    reasons: list[str]
    sky: str = Field(description="observing conditions: clear, cloudy or unknown")
    sky_brightness: float | None = Field(description="mag/arcsec²")
    plc_error: str = Field(description="why the PLC could not be read at the last period")
    since: datetime | None = Field(description="when `safe` took its current value")
    changed_at: datetime | None = Field(description="when the status last changed")
    decided_at: datetime | None = Field(description="the latest decision")
    age_seconds: float | None = Field(description="seconds since `decided_at`, at `now`")
    current: bool = Field(description="renewed within three monitoring periods; if not, "
                                      "the monitoring agent stopped: treat as unsafe")


class WeatherNowOut(BaseModel):
    """The current weather and the safety decision."""

    model_config = _OUTPUT

    now: datetime = Field(description="the server's clock (UTC), possibly simulated")
    time: datetime | None = Field(description="when the PLC was read; null: never")
    safety: SafetyOut
    values: list[ValueOut]


class SeriesOut(BaseModel):
    """One plotted quantity."""

    model_config = _OUTPUT

    name: str
    label: str
    unit: str
    aggregate: Literal["max", "mean"] = Field(description="how a point sums up its bucket")


class PointOut(BaseModel):
    """One bucket of the history."""

    model_config = _OUTPUT

    time: datetime = Field(description="the bucket's first row")
    status: GlobalStatus = Field(description="the most severe status in the bucket")
    safe: bool = Field(description="safe throughout the bucket")
    values: dict[str, float | None] = Field(description="series name -> value")


class PeriodOut(BaseModel):
    """A stretch of time with the site unsafe."""

    model_config = _OUTPUT

    start: datetime
    end: datetime
    status: GlobalStatus
    reasons: list[str] = Field(description="the reasons when it began")


class WeatherHistoryOut(BaseModel):
    """The weather of the last ``minutes``, in at most ~1000 points."""

    model_config = _OUTPUT

    now: datetime
    start: datetime
    minutes: int
    bucket_seconds: int = Field(description="each point sums up this many seconds")
    series: list[SeriesOut]
    points: list[PointOut]
    unsafe_periods: list[PeriodOut]
    run: str = Field(description="empty: readings made in real time; else the simulated "
                                 "run whose readings these are (and `now` is simulated)")


class ChangeOut(BaseModel):
    """A change of the global status."""

    model_config = _OUTPUT

    time: datetime
    status: GlobalStatus
    safe: bool
    reasons: list[str]


class SiteOut(BaseModel):
    """The site's status, the safety decision and its timeline."""

    model_config = _OUTPUT

    now: datetime
    time: datetime | None = Field(description="when the PLC was read; null: never")
    safety: SafetyOut
    values: list[ValueOut]
    timeline_start: datetime = Field(description="the timeline covers from here to `now`")
    changes: list[ChangeOut] = Field(description=f"the status changes since "
                                                 f"`timeline_start` (at most {MAX_CHANGES}, "
                                                 "and the one in force then), newest first")


# --- What the views, the pages and the CLI share ---------------------------------------


def value_text(quantity: str, value: float | bool | str | None) -> str:
    """A value as the pages write it: "12.1 °C", "closed", a dash when missing."""
    if value is None:
        return "\N{EN DASH}"
    if isinstance(value, bool):
        yes, no = BOOL_WORDS.get(quantity, ("yes", "no"))
        return yes if value else no
    if isinstance(value, int | float):
        known = QUANTITIES.get(quantity)
        digits = 2 if quantity == "sky_brightness" else 1
        unit = known.unit if known else ""
        return f"{value:.{digits}f} {unit}".strip()
    return str(value)


def values_out(stored: dict[str, Any], group: str) -> list[ValueOut]:
    """The stored values of one group, in the order of ``quantities``; quantities the
    configuration does not read are left out."""
    out = []
    for name, quantity in QUANTITIES.items():
        data = stored.get(name)
        if quantity.group != group or not isinstance(data, dict):
            continue
        value = data.get("value")
        out.append(ValueOut(
            quantity=name, label=quantity.label, unit=quantity.unit, value=value,
            text=value_text(name, value), source=data.get("source", ""),
            fallback=bool(data.get("fallback")), reason=data.get("reason", ""),
            measured_at=data.get("measured_at"),
            alarm=name in ALARMS and value is ALARMS[name]))
    return out


def safety_out(state: SafetyState, now: datetime) -> SafetyOut:
    return SafetyOut(
        safe=state.safe, status=state.status, reasons=list(state.reasons or []),
        sky=state.sky, sky_brightness=state.sky_brightness, plc_error=state.plc_error,
        since=state.since, changed_at=state.changed_at, decided_at=state.decided_at,
        age_seconds=state.age(now),
        current=state.is_current(now, settings.UNIT.monitoring.period))


def this_run(model: type[WeatherWatch] | type[SiteWatch]) -> QuerySet:
    """The readings made under the clock that runs now: real-time ones under the wall
    clock, this simulated run's under a simulated one (``Watch.run``)."""
    return model.objects.filter(run=clock.run_label())


def weather_now() -> WeatherNowOut:
    now = clock.now()
    latest = this_run(WeatherWatch).order_by("-time", "-id").first()
    return WeatherNowOut(now=now, time=latest.time if latest else None,
                         safety=safety_out(SafetyState.current(), now),
                         values=values_out(latest.values if latest else {}, WEATHER))


def _changes(since: datetime, until: datetime) -> list[tuple[datetime, str, bool, list[str]]]:
    """The status changes in [since, until], oldest first, preceded by the one in force
    at ``since`` (dated ``since``) when there is one."""
    rows = this_run(WeatherWatch).filter(status_changed=True)
    fields = ("time", "status", "safe", "reasons")
    before = rows.filter(time__lt=since).order_by("-time", "-id").values_list(*fields).first()
    within = list(rows.filter(time__gte=since, time__lte=until).order_by("time", "id")
                  .values_list(*fields))
    return ([(since, *before[1:])] if before else []) + within


def unsafe_periods(since: datetime, until: datetime) -> list[PeriodOut]:
    """The unsafe stretches of [since, until], from the status changes (which the
    retention always keeps, so they are exact at any age); one per status."""
    periods: list[PeriodOut] = []
    opened: tuple[datetime, str, list[str]] | None = None
    for time, status, safe, reasons in _changes(since, until):
        if opened is not None:
            periods.append(PeriodOut(start=opened[0], end=time, status=opened[1],
                                     reasons=opened[2]))
            opened = None
        if not safe:
            opened = (time, status, list(reasons or []))
    if opened is not None:
        periods.append(PeriodOut(start=opened[0], end=until, status=opened[1],
                                 reasons=opened[2]))
    return periods


class _Bucket:
    __slots__ = ("rank", "safe", "sums", "time")

    def __init__(self, time: datetime) -> None:
        self.time = time
        self.rank = -1
        self.safe = True
        self.sums: dict[str, list[float]] = {name: [] for name in SERIES}


def _row_values(columns: dict[str, float | None]) -> Iterable[tuple[str, float]]:
    sky, ambient = columns.get("sky_temperature"), columns.get("temperature")
    if sky is not None and ambient is not None:
        yield "sky_minus_ambient", sky - ambient
    for name in SERIES:
        value = columns.get(name)
        if value is not None:
            yield name, value


def weather_history(minutes: int) -> WeatherHistoryOut:
    """The last ``minutes`` bucketed into at most MAX_POINTS points. Buckets are
    aligned on UTC, so that the points do not shift between two refreshes."""
    now = clock.now()
    start = now - timedelta(minutes=minutes)
    width = max(1, math.ceil(minutes * 60 / MAX_POINTS))
    names = ("time", "status", "safe", *WeatherWatch.COLUMNS)
    rows = (this_run(WeatherWatch).filter(time__gte=start, time__lte=now)
            .order_by("time", "id").values_list(*names))
    buckets: dict[int, _Bucket] = {}
    for row in rows.iterator(chunk_size=5000):
        time, status, safe = row[0], row[1], row[2]
        key = int(time.timestamp() // width)
        bucket = buckets.get(key)
        if bucket is None:
            bucket = buckets[key] = _Bucket(time)
        bucket.rank = max(bucket.rank, _RANK.get(status, 0))
        bucket.safe = bucket.safe and safe
        for name, value in _row_values(dict(zip(WeatherWatch.COLUMNS, row[3:], strict=True))):
            bucket.sums[name].append(value)
    by_rank = {rank: status for status, rank in _RANK.items()}
    points = [PointOut(time=b.time, status=by_rank[b.rank], safe=b.safe, values={
        name: (None if not b.sums[name] else max(b.sums[name]) if how == "max"
               else sum(b.sums[name]) / len(b.sums[name]))
        for name, (_, _, how) in SERIES.items()}) for b in buckets.values()]
    return WeatherHistoryOut(
        now=now, start=start, minutes=minutes, bucket_seconds=width,
        series=[SeriesOut(name=n, label=label, unit=unit, aggregate=how)
                for n, (label, unit, how) in SERIES.items()],
        points=points, unsafe_periods=unsafe_periods(start, now), run=clock.run_label())


def site_now() -> SiteOut:
    now = clock.now()
    latest = this_run(SiteWatch).order_by("-time", "-id").first()
    start = now - TIMELINE
    changes = [ChangeOut(time=t, status=s, safe=safe, reasons=list(r or []))
               for t, s, safe, r in _changes(start, now)][-MAX_CHANGES:][::-1]
    return SiteOut(now=now, time=latest.time if latest else None,
                   safety=safety_out(SafetyState.current(), now),
                   values=values_out(latest.values if latest else {}, "site"),
                   timeline_start=start, changes=changes)


def parse_minutes(raw: str | None) -> int:
    if raw in (None, ""):
        return DEFAULT_MINUTES
    try:
        minutes = int(raw)
    except ValueError:
        raise ParseError(f"minutes must be a whole number, not '{raw}'") from None
    if not 1 <= minutes <= MAX_MINUTES:
        raise ParseError(f"minutes must be between 1 and {MAX_MINUTES} (a year)")
    return minutes


def _json(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


# --- Permission and views --------------------------------------------------------------


class ReadsPage(BasePermission):
    """READ on the view's ``right`` in the rights matrix (anonymous: the Visitor's)."""

    message = "Your profile does not give access to this page."

    def has_permission(self, request: ApiRequest, view: APIView) -> bool:
        return user_access(request.user, view.right) >= Access.READ  # type: ignore[attr-defined]


class MonitoringView(APIView):
    # AllowAny first: the schema then says that no authentication is needed.
    permission_classes: ClassVar = [AllowAny, ReadsPage]
    right: ClassVar[str] = WEATHER


class WeatherNowView(MonitoringView):
    @extend_schema(
        operation_id="weather_now", tags=["weather"],
        summary="The current weather and the safety decision",
        description="The weather quantities of the latest monitoring period, each with the "
                    "sensor it came from (`source`), whether a secondary sensor stood in "
                    "(`fallback`) and why a value is missing (`reason`); and the latest "
                    "safety decision. Check `safety.current`: when false, the monitoring "
                    "agent stopped deciding and nothing here is to be trusted.",
        responses={200: WeatherNowOut},
    )
    def get(self, request: ApiRequest) -> Response:
        return Response(_json(weather_now()))


class WeatherHistoryView(MonitoringView):
    @extend_schema(
        operation_id="weather_history", tags=["weather"],
        summary="The weather of the last minutes, for plots",
        description=f"At most about {MAX_POINTS} points, whatever the window: each point "
                    "sums up `bucket_seconds` (the worst rain, wind and humidity, the mean "
                    "of the others, the most severe status). `unsafe_periods` are exact, "
                    "from the status changes.",
        parameters=[OpenApiParameter("minutes", int, default=DEFAULT_MINUTES,
                                     description=f"the window, 1 to {MAX_MINUTES}")],
        responses={200: WeatherHistoryOut,
                   400: OpenApiResponse(DetailOut, description="bad `minutes`")},
    )
    def get(self, request: ApiRequest) -> Response:
        minutes = parse_minutes(request.query_params.get("minutes"))
        return Response(_json(weather_history(minutes)))


class SiteView(MonitoringView):
    right: ClassVar[str] = OBSERVATORY

    @extend_schema(
        operation_id="observatory_site", tags=["observatory"],
        summary="The site's status, the safety decision and its timeline",
        description="Doors, lights, shutter, power and UPS, intrusion, emergency stop, PLC "
                    "mode and night ACK as the PLC last reported them, the latest safety "
                    "decision, and the status changes of the last seven days.",
        responses={200: SiteOut},
    )
    def get(self, request: ApiRequest) -> Response:
        return Response(_json(site_now()))
