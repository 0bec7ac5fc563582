"""One trusted value per quantity, from a PLC status document.

Every sensor's value is checked (the PLC's validity flag, the unit it must report, the
type and range of the quantity, the age of the measurement), corrected (``scale`` and
``offset`` from the configuration), and the sensors of one quantity are merged by
priority: the first one valid and fresh wins; when none is, the quantity is missing and
says why.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from pyros.config.schema import Sensor
from pyros.monitoring.quantities import QUANTITIES, Quantity
from pyros.plc.document import PlcError, PlcStatus


@dataclass(frozen=True)
class Value:
    """A quantity's value and where it comes from; ``value`` is None when no sensor
    gave a usable one, and ``reason`` then says why."""

    quantity: str
    value: float | bool | str | None
    source: str  # "WXT520.RainRate", or "" when missing
    measured_at: datetime | None
    fallback: bool = False  # a secondary sensor, the primary being unusable
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class Synthesis:
    time: datetime
    values: dict[str, Value]
    rejected: tuple[str, ...] = field(default=())  # every sensor value refused, with why

    def get(self, quantity: str) -> float | bool | str | None:
        value = self.values.get(quantity)
        return None if value is None else value.value

    def group(self, group: str) -> dict[str, Value]:
        return {q: v for q, v in self.values.items() if QUANTITIES[q].group == group}


def _read(status: PlcStatus, sensor: Sensor, quantity: Quantity, now: datetime,
          stale_after: float) -> tuple[float | bool | str | None, datetime | None, str]:
    """(value, measured_at, reason refused); value None when refused."""
    where = f"{sensor.device}.{sensor.value}"
    try:
        reading = status.reading(sensor.device, sensor.value)
    except PlcError as exc:
        return None, None, f"{where}: {exc}"
    if not reading.is_valid:
        return None, reading.measured_at, f"{where}: flagged invalid by the PLC"
    if reading.unit != sensor.unit:
        return None, reading.measured_at, (f"{where}: unit {reading.unit!r}, expected "
                                           f"{sensor.unit!r}")
    age = (now - reading.measured_at).total_seconds()
    if age > stale_after:
        return None, reading.measured_at, f"{where}: measured {age:.0f} s ago (stale)"
    raw = reading.value
    if quantity.kind == "bool":
        value: float | bool | str = bool(raw) != sensor.invert
    elif quantity.kind == "string":
        value = str(raw).strip().lower()
        if quantity.choices and value not in quantity.choices:
            return None, reading.measured_at, (f"{where}: {raw!r} is not one of "
                                               f"{', '.join(quantity.choices)}")
    else:
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
            return None, reading.measured_at, f"{where}: {raw!r} is not a number"
        value = raw * sensor.scale + sensor.offset
        if (quantity.low is not None and value < quantity.low) or \
                (quantity.high is not None and value > quantity.high):
            return None, reading.measured_at, (f"{where}: {value:g} {quantity.unit} is "
                                               f"impossible for {quantity.label.lower()}")
    return value, reading.measured_at, ""


def synthesize(status: PlcStatus | None, sensors: list[Sensor], now: datetime,
               stale_after: float, rejected: tuple[str, ...] = (),
               missing_reason: str = "no PLC status") -> Synthesis:
    """The best value of every configured quantity. ``status`` None (no document at all)
    makes every quantity missing with ``missing_reason``."""
    by_quantity: dict[str, list[Sensor]] = defaultdict(list)
    for sensor in sensors:
        by_quantity[sensor.quantity].append(sensor)
    values: dict[str, Value] = {}
    refused = list(rejected)
    for name, candidates in by_quantity.items():
        quantity = QUANTITIES.get(name)
        if quantity is None:
            refused.append(f"unknown quantity {name!r} in the configuration")
            continue
        if status is None:
            values[name] = Value(name, None, "", None, reason=missing_reason)
            continue
        reasons = []
        for rank, sensor in enumerate(sorted(candidates, key=lambda s: s.priority)):
            value, measured_at, reason = _read(status, sensor, quantity, now, stale_after)
            if value is not None:
                values[name] = Value(name, value, f"{sensor.device}.{sensor.value}",
                                     measured_at, fallback=rank > 0,
                                     reason="; ".join(reasons))
                break
            reasons.append(reason)
            refused.append(reason)
        else:
            values[name] = Value(name, None, "", None, reason="; ".join(reasons))
    return Synthesis(now, values, tuple(refused))
