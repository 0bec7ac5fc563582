"""Weather that drifts like a real night's, for the simulated weather station.

A seeded generator (:func:`generate`) makes one night of readings on a regular grid:
the temperature falls through the night and the dew point creeps up, so the humidity
rises towards dawn; the wind wanders about its mean with short gusts; banks of cloud
pass (the sky warms towards the ambient temperature, which the monitoring reads as
cloudy but safe); and one rain shower, with its clouds, closes the dome for a while.
The same seed always gives the same night.

:func:`to_scenario` turns the readings into a PLC scenario (``plc.scenario``'s format,
events ``at_seconds`` from the start), so the simulated PLC, and through it the
monitoring, the safety decision and the Weather page, see this weather with no change
of their own: ``pyros start --plc-scenario night.json``.

Plain Python and numpy: no Django, no clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: The weather stations of the PLC's status document that get the generated readings.
STATIONS = ("WXT520", "VantagePro")
#: value name on the stations -> WeatherSample field, and the decimals sent.
STATION_VALUES = (("OutsideTemp", "temperature", 1), ("OutsideHumidity", "humidity", 0),
                  ("DewPoint", "dew_point", 1), ("WindSpeed", "wind_speed", 1),
                  ("WindDir", "wind_direction", 0), ("RainRate", "rain_rate", 1),
                  ("Pressure", "pressure", 1))
SKY_SENSOR = ("MLX90614-1", "SkyTemperature")
RAIN_DETECTOR = ("DRD11", "digital")  # 1 when dry
#: Kelvin between the temperature and the dew point outside the shower: humid towards
#: dawn (some 80 %), not so humid that the monitoring closes (the example's 2 K margin).
DRY_MARGIN = 2.6


@dataclass(frozen=True)
class WeatherSample:
    """The weather ``seconds`` after the start of the generated night."""

    seconds: float
    temperature: float  # °C
    dew_point: float  # °C
    humidity: float  # %
    wind_speed: float  # m/s, gusts included
    wind_direction: float  # degrees
    pressure: float  # mbar
    cloud_cover: float  # 0 clear .. 1 overcast
    sky_temperature: float  # °C, what an infrared sky sensor reads
    rain_rate: float  # mm/h

    @property
    def raining(self) -> bool:
        return self.rain_rate > 0.0


@dataclass(frozen=True)
class Shower:
    """When the night's rain falls: seconds from the start, and how long."""

    start: float
    duration: float

    @property
    def end(self) -> float:
        return self.start + self.duration


def humidity_from(temperature: float, dew_point: float) -> float:
    """Relative humidity (%) from the temperature and the dew point (Magnus formula)."""
    a, b = 17.625, 243.04

    def gamma(t: float) -> float:
        return a * t / (b + t)

    return float(min(100.0, 100.0 * math.exp(gamma(dew_point) - gamma(temperature))))


def _wander(rng: np.random.Generator, count: int, mean: float, spread: float,
            memory: float) -> np.ndarray:
    """A quantity that wanders about ``mean`` (an Ornstein-Uhlenbeck walk): each step
    keeps ``memory`` of its departure from the mean, so it drifts rather than jitters."""
    values = np.empty(count)
    value = mean
    kick = spread * math.sqrt(1.0 - memory * memory)
    for index in range(count):
        value = mean + memory * (value - mean) + kick * rng.standard_normal()
        values[index] = value
    return values


def generate(seed: int, duration: float, *, step: float = 300.0,
             shower: Shower | None = None, dusk_temperature: float = 6.0) -> list[WeatherSample]:
    """A night of weather, one sample every ``step`` seconds over ``duration`` seconds.

    ``shower``: when it rains (default: a seeded one of 20 to 40 minutes somewhere in
    the middle third of the night); ``dusk_temperature``: °C at the start."""
    if duration <= 0 or step <= 0:
        raise ValueError("the night's duration and the step must be positive")
    rng = np.random.default_rng(seed)
    count = int(duration // step) + 1
    seconds = np.arange(count) * step
    progress = seconds / duration
    if shower is None:
        length = float(rng.uniform(20.0, 40.0)) * 60.0
        shower = Shower(float(rng.uniform(0.35, 0.6)) * duration, length)
    wet = (seconds >= shower.start) & (seconds < shower.end)
    # How much the shower still weighs on the air: 1 during it, fading over an hour.
    after = np.clip(1.0 - (seconds - shower.end) / 3600.0, 0.0, 1.0) * (seconds >= shower.end)
    shower_weight = np.maximum(wet.astype(float), after)

    cooling = 5.0 * (1.0 - np.exp(-3.0 * progress))  # fast after dusk, slower later
    temperature = dusk_temperature - cooling + _wander(rng, count, 0.0, 0.4, 0.9) \
        - 1.5 * shower_weight
    # The dew point creeps up all night: the air gets closer to saturation towards dawn.
    dew_point = dusk_temperature - 10.0 + 2.0 * progress + _wander(rng, count, 0.0, 0.3, 0.9)
    # Dry air stays a few kelvin from saturation; the shower brings it close.
    dew_point = np.minimum(dew_point, temperature - DRY_MARGIN) + 4.0 * shower_weight
    dew_point = np.minimum(dew_point, temperature - 0.3)

    cloud = np.clip(_wander(rng, count, -0.1, 0.35, 0.93), 0.0, 1.0)
    for _ in range(int(rng.integers(1, 3))):  # banks of cloud passing over
        centre, width = rng.uniform(0.1, 0.9) * duration, rng.uniform(0.02, 0.06) * duration
        cloud = np.maximum(cloud, 0.85 * np.exp(-((seconds - centre) / width) ** 2))
    cloud = np.maximum(cloud, np.clip(shower_weight * 1.2, 0.0, 1.0))
    clear_sky_offset = -35.0 + _wander(rng, count, 0.0, 1.0, 0.8)
    sky_temperature = temperature + (1.0 - cloud) * clear_sky_offset - cloud * 6.0

    wind = np.clip(_wander(rng, count, 4.5, 1.3, 0.85), 0.3, None)
    gusts = rng.random(count) < 0.06
    wind = wind + gusts * rng.uniform(4.0, 7.0, count) + 3.0 * wet
    direction = (200.0 + np.cumsum(rng.normal(0.0, 6.0, count))) % 360.0
    pressure = 769.0 + np.cumsum(rng.normal(0.0, 0.15, count)) - 2.0 * shower_weight
    rain = np.where(wet, rng.uniform(1.5, 6.0, count), 0.0)

    return [WeatherSample(
        seconds=float(seconds[i]), temperature=float(temperature[i]),
        dew_point=float(dew_point[i]), humidity=humidity_from(temperature[i], dew_point[i]),
        wind_speed=float(wind[i]), wind_direction=float(direction[i]),
        pressure=float(pressure[i]), cloud_cover=float(cloud[i]),
        sky_temperature=float(sky_temperature[i]), rain_rate=float(rain[i]))
        for i in range(count)]


def shower_of(samples: list[WeatherSample]) -> Shower | None:
    """When it rained in ``samples`` (first wet sample to the first dry one after)."""
    wet = [s.seconds for s in samples if s.raining]
    if not wet:
        return None
    step = samples[1].seconds - samples[0].seconds if len(samples) > 1 else 0.0
    return Shower(wet[0], wet[-1] - wet[0] + step)


def to_scenario(samples: list[WeatherSample]) -> list:
    """The PLC scenario (a JSON-ready list) that makes the simulated PLC report
    ``samples``: an event per value that changed, ``at_seconds`` of the sample."""
    events: list[dict] = []
    last: dict[tuple[str, str], object] = {}

    def change(device: str, name: str, value: float | int, seconds: float) -> None:
        if last.get((device, name)) == value:
            return
        last[(device, name)] = value
        events.append({"at_seconds": seconds, "plcSimulator": {
            "device_name": device, "value_name": name, "value": value}})

    for sample in samples:
        for station in STATIONS:
            for name, field, decimals in STATION_VALUES:
                value = round(float(getattr(sample, field)), decimals)
                change(station, name, value, sample.seconds)
        change(*SKY_SENSOR, round(sample.sky_temperature, 1), sample.seconds)
        change(*RAIN_DETECTOR, 0 if sample.raining else 1, sample.seconds)
    # The guide's length counts iterations; these events count seconds, so one suffices.
    return [1, *events]
