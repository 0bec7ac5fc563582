"""What the monitoring reads, with the values each quantity may take: a value outside
them is a faulty sensor, not weather (a humidity of 150 % is rejected, not "humid")."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Quantity:
    name: str
    label: str
    group: str  # weather or site
    kind: str  # number, bool or string
    unit: str = ""  # as shown
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()


QUANTITIES: dict[str, Quantity] = {q.name: q for q in (
    Quantity("rain_rate", "Rain rate", "weather", "number", "mm/h", 0.0, 500.0),
    Quantity("rain_detected", "Rain detector", "weather", "bool"),
    Quantity("wind_speed", "Wind speed", "weather", "number", "m/s", 0.0, 100.0),
    Quantity("wind_gust", "Wind gust", "weather", "number", "m/s", 0.0, 150.0),
    Quantity("humidity", "Humidity", "weather", "number", "%", 0.0, 100.0),
    Quantity("temperature", "Temperature", "weather", "number", "°C", -60.0, 60.0),
    Quantity("dew_point", "Dew point", "weather", "number", "°C", -80.0, 60.0),
    Quantity("pressure", "Pressure", "weather", "number", "hPa", 300.0, 1100.0),
    Quantity("sky_temperature", "Sky temperature", "weather", "number", "°C", -100.0, 60.0),
    Quantity("sky_brightness", "Sky brightness", "weather", "number", "mag/arcsec²", 5.0,
             25.0),
    Quantity("doors_open", "Doors open", "site", "bool"),
    Quantity("lights_on", "Lights on", "site", "bool"),
    Quantity("shutter", "Shutter", "site", "string",
             choices=("open", "closed", "moving", "unknown")),
    Quantity("mains_power", "Mains power", "site", "bool"),
    Quantity("ups_on_battery", "UPS on battery", "site", "bool"),
    Quantity("ups_battery_level", "UPS battery", "site", "number", "%", 0.0, 100.0),
    Quantity("intrusion", "Intrusion", "site", "bool"),
    Quantity("emergency_stop", "Emergency stop", "site", "bool"),
    Quantity("plc_mode", "PLC mode", "site", "string", choices=("off", "manual", "auto")),
    Quantity("night_ack", "Night ACK", "site", "bool"),
    Quantity("plc_bypass", "PLC bypass", "site", "bool"),
)}
