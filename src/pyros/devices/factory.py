"""A unit's devices, built from its configuration: the one place that knows which
backend class serves which kind of device."""

from __future__ import annotations

from dataclasses import dataclass, field

from pyros.config.schema import Device, UnitConfig
from pyros.devices.interfaces import (
    Camera,
    Dome,
    FilterWheel,
    Focuser,
    Mount,
    MountCapabilities,
    WeatherStation,
)


class UnsupportedBackend(Exception):
    pass


@dataclass
class UnitDevices:
    mount: Mount
    domes: dict[str, Dome] = field(default_factory=dict)
    cameras: dict[str, Camera] = field(default_factory=dict)  # by channel name
    filter_wheels: dict[str, FilterWheel] = field(default_factory=dict)  # by channel name
    focusers: dict[str, Focuser] = field(default_factory=dict)
    weather_stations: dict[str, WeatherStation] = field(default_factory=dict)

    @property
    def dome(self) -> Dome | None:
        return next(iter(self.domes.values()), None)


class _IndiLinks:
    """One INDI connection per indiserver address, shared by its devices."""

    def __init__(self) -> None:
        self.clients: dict[str, object] = {}

    def link(self, name: str, device: Device):
        from pyros.devices.indi.client import IndiClient

        if not device.indi_device:
            raise UnsupportedBackend(f"device {name}: an indi device needs indi_device, the "
                                     "driver's device name (e.g. \"Telescope Simulator\")")
        address = device.address or "localhost:7624"
        if address not in self.clients:
            self.clients[address] = IndiClient.from_address(address)
        return self.clients[address].device(device.indi_device, label=name)


class _AlpacaLinks:
    """One HTTP connection pool per Alpaca server address, shared by its devices."""

    #: Alpaca device types by our kinds.
    TYPES = {"mount": "telescope", "dome": "dome", "camera": "camera",
             "filterwheel": "filterwheel", "focuser": "focuser", "weather": "observingconditions"}

    def __init__(self) -> None:
        self.servers: dict[str, object] = {}

    def link(self, name: str, device: Device):
        from pyros.devices.alpaca.client import AlpacaServer

        if not device.address:
            raise UnsupportedBackend(f"device {name}: an alpaca device needs address, its "
                                     "server's host:port (`pyros device discover` finds them)")
        if device.alpaca_type and device.kind != "weather":
            raise UnsupportedBackend(f"device {name}: alpaca_type is for weather devices "
                                     f"only (this one is a {device.kind})")
        if device.address not in self.servers:
            self.servers[device.address] = AlpacaServer(device.address)
        device_type = device.alpaca_type or self.TYPES[device.kind]
        return self.servers[device.address].device(device_type, device.alpaca_device, name)


def build_weather_stations(unit: UnitConfig, links: _IndiLinks | None = None,
                           alpaca_links: _AlpacaLinks | None = None
                           ) -> dict[str, WeatherStation]:
    """The unit's weather stations alone (the monitoring reads them beside the PLC)."""
    from pyros.devices.alpaca import weather as alpaca
    from pyros.devices.indi import devices as indi

    links = links or _IndiLinks()
    alpaca_links = alpaca_links or _AlpacaLinks()
    stations: dict[str, WeatherStation] = {}
    for name, device in unit.devices_of_kind("weather").items():
        if device.backend == "indi":
            stations[name] = indi.IndiWeatherStation(name, links.link(name, device))
        elif device.backend == "alpaca":
            link = alpaca_links.link(name, device)
            stations[name] = (alpaca.AlpacaSafetyMonitor(name, link)
                              if device.alpaca_type == "safetymonitor"
                              else alpaca.AlpacaObservingConditions(name, link))
    return stations


def _alpaca_devices(unit: UnitConfig, links: _AlpacaLinks) -> dict[str, object]:
    """Every alpaca device of the unit but its weather stations, by name."""
    from pyros.devices.alpaca import accessories, camera, devices

    m = unit.mount
    built: dict[str, object] = {}
    for name, device in unit.devices.items():
        if device.backend != "alpaca" or device.kind == "weather":
            continue
        link = links.link(name, device)
        if device.kind == "mount":
            built[name] = devices.AlpacaMount(name, link, unit.site, MountCapabilities(
                m.slew_rate_ra, m.slew_rate_dec, m.settle_time, m.limits.min_altitude,
                m.limits.max_hour_angle))
        elif device.kind == "dome":
            built[name] = devices.AlpacaDome(name, link)
        elif device.kind == "camera":
            readout = next((c.readout_time for c in unit.channels if c.camera == name), 10.0)
            built[name] = camera.AlpacaCamera(name, link, readout_time=readout)
        elif device.kind == "filterwheel":
            built[name] = accessories.AlpacaFilterWheel(name, link)
        elif device.kind == "focuser":
            built[name] = accessories.AlpacaFocuser(name, link)
    return built


def build_devices(unit: UnitConfig) -> UnitDevices:
    from pyros.devices import sim
    from pyros.devices.indi import devices as indi

    links, alpaca_links = _IndiLinks(), _AlpacaLinks()

    def backend(name: str) -> str:
        chosen = unit.devices[name].backend
        if chosen not in ("sim", "indi", "alpaca"):
            raise UnsupportedBackend(f"device {name}: backend {chosen} cannot serve a "
                                     f"{unit.devices[name].kind}")
        return chosen

    alpaca = _alpaca_devices(unit, alpaca_links)
    m = unit.mount
    capabilities = MountCapabilities(m.slew_rate_ra, m.slew_rate_dec, m.settle_time,
                                     m.limits.min_altitude, m.limits.max_hour_angle)
    mount_device = unit.devices[m.device]
    mount = (sim.SimMount(m.device, mount_device.address, unit) if backend(m.device) == "sim"
             else alpaca[m.device] if backend(m.device) == "alpaca"
             else indi.IndiMount(m.device, links.link(m.device, mount_device), unit.site,
                                 capabilities))
    devices = UnitDevices(mount=mount)
    for name, device in unit.devices_of_kind("dome").items():
        devices.domes[name] = (sim.SimDome(name, device.address) if backend(name) == "sim"
                               else alpaca[name] if backend(name) == "alpaca"
                               else indi.IndiDome(name, links.link(name, device)))
    for name, device in unit.devices_of_kind("focuser").items():
        devices.focusers[name] = (sim.SimFocuser(name, device.address) if backend(name) == "sim"
                                  else alpaca[name] if backend(name) == "alpaca"
                                  else indi.IndiFocuser(name, links.link(name, device)))
    devices.weather_stations = build_weather_stations(unit, links, alpaca_links)
    for channel in unit.channels:
        camera = unit.devices[channel.camera]
        if backend(channel.camera) == "sim":
            devices.cameras[channel.name] = sim.SimCamera(channel.camera, camera.address, channel)
        elif backend(channel.camera) == "alpaca":
            devices.cameras[channel.name] = alpaca[channel.camera]
        else:
            devices.cameras[channel.name] = indi.IndiCamera(
                channel.camera, links.link(channel.camera, camera),
                readout_time=channel.readout_time)
        if channel.filter_wheel:
            wheel = unit.devices[channel.filter_wheel]
            devices.filter_wheels[channel.name] = (
                sim.SimFilterWheel(channel.filter_wheel, wheel.address, channel)
                if backend(channel.filter_wheel) == "sim"
                else alpaca[channel.filter_wheel] if backend(channel.filter_wheel) == "alpaca"
                else indi.IndiFilterWheel(channel.filter_wheel,
                                          links.link(channel.filter_wheel, wheel)))
        elif camera.backend == "sim":  # a simulated camera serves its own wheel
            devices.filter_wheels[channel.name] = sim.SimFilterWheel(
                f"{channel.camera}.filters", camera.address, channel)
    return devices
