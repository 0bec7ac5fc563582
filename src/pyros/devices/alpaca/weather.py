"""Weather over Alpaca: an ``ObservingConditions`` device's sensors, or a
``SafetyMonitor``'s verdict, as a WeatherStation the monitoring reads beside the PLC.

Readings are named as Alpaca names the members (``WindSpeed``, ``Humidity``...), in the
units Alpaca fixes (below); the unit's ``[[monitoring.sensors]]`` pick them by the
station's device name and these names (docs/alpaca.md). Sensors the driver does not
implement are left out; one that fails alone (ValueNotSet before its first
measurement) is reported invalid, not fatal. A SafetyMonitor gives one reading,
``IsSafe`` (1 safe, 0 unsafe, unit ``bool``), and the station's verdict.
"""

from __future__ import annotations

from pyros import clock
from pyros.devices.alpaca.base import AlpacaDevice
from pyros.devices.alpaca.client import AlpacaLink
from pyros.devices.errors import (
    DeviceDisconnected,
    DeviceError,
    DeviceRefused,
    DeviceTimeout,
)
from pyros.devices.interfaces import WeatherReading, WeatherStation, WeatherStatus

#: ObservingConditions members and the units the Alpaca specification fixes for them.
SENSORS: dict[str, str] = {
    "CloudCover": "%", "DewPoint": "Celsius", "Humidity": "%", "Pressure": "hPa",
    "RainRate": "mm/h", "SkyBrightness": "lux", "SkyQuality": "mag/arcsec2",
    "SkyTemperature": "Celsius", "StarFWHM": "arcsec", "Temperature": "Celsius",
    "WindDirection": "deg", "WindGust": "m/s", "WindSpeed": "m/s",
}


class AlpacaObservingConditions(AlpacaDevice, WeatherStation):
    def __init__(self, name: str, link: AlpacaLink) -> None:
        super().__init__(name)
        self._init_link(link)
        self._sensors: tuple[str, ...] | None = None

    def _setup(self, timeout: float) -> None:
        present = []
        for sensor in SENSORS:
            try:
                self.link.get(sensor, timeout)
            except DeviceRefused:
                continue  # NotImplemented: the station has no such sensor
            except (DeviceDisconnected, DeviceTimeout):
                raise
            except DeviceError:
                pass  # ValueNotSet and the like: the sensor exists, it has no value yet
            present.append(sensor)
        self._sensors = tuple(present)

    def status(self, timeout: float = 5.0) -> WeatherStatus:
        if self._sensors is None:
            self.connect(timeout)
        sensors = self._sensors or ()
        values = self.link.state(sensors, timeout, tolerant=True)
        readings = tuple(
            WeatherReading(sensor=self.name, name=sensor, value=_number(values.get(sensor)),
                           unit=SENSORS[sensor], valid=_number(values.get(sensor)) is not None)
            for sensor in sensors)
        return WeatherStatus(connected=True, safe=None, readings=readings, time=clock.now())


class AlpacaSafetyMonitor(AlpacaDevice, WeatherStation):
    def __init__(self, name: str, link: AlpacaLink) -> None:
        super().__init__(name)
        self._init_link(link)

    def status(self, timeout: float = 5.0) -> WeatherStatus:
        safe = bool(self.link.get("issafe", timeout))
        # 0/1, as the PLC document wants a "bool" unit
        reading = WeatherReading(sensor=self.name, name="IsSafe", value=int(safe),
                                 unit="bool", valid=True)
        return WeatherStatus(connected=True, safe=safe, readings=(reading,), time=clock.now())


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
