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


def build_weather_stations(unit: UnitConfig,
                           links: _IndiLinks | None = None) -> dict[str, WeatherStation]:
    """The unit's weather stations alone (the monitoring reads them beside the PLC)."""
    from pyros.devices.indi import devices as indi

    links = links or _IndiLinks()
    return {name: indi.IndiWeatherStation(name, links.link(name, device))
            for name, device in unit.devices_of_kind("weather").items()
            if device.backend == "indi"}


def build_devices(unit: UnitConfig) -> UnitDevices:
    from pyros.devices import sim
    from pyros.devices.indi import devices as indi

    links = _IndiLinks()

    def backend(name: str) -> str:
        chosen = unit.devices[name].backend
        if chosen not in ("sim", "indi"):
            raise UnsupportedBackend(f"device {name}: backend {chosen} cannot serve a "
                                     f"{unit.devices[name].kind}")
        return chosen

    m = unit.mount
    capabilities = MountCapabilities(m.slew_rate_ra, m.slew_rate_dec, m.settle_time,
                                     m.limits.min_altitude, m.limits.max_hour_angle)
    mount_device = unit.devices[m.device]
    mount = (sim.SimMount(m.device, mount_device.address, unit) if backend(m.device) == "sim"
             else indi.IndiMount(m.device, links.link(m.device, mount_device), unit.site,
                                 capabilities))
    if m.pointing_model.enabled:
        from pyros.devices.corrected import CorrectedMount
        from pyros.pointing.active import ActiveModel

        mount = CorrectedMount(mount, unit.site, ActiveModel())
    devices = UnitDevices(mount=mount)
    for name, device in unit.devices_of_kind("dome").items():
        devices.domes[name] = (sim.SimDome(name, device.address) if backend(name) == "sim"
                               else indi.IndiDome(name, links.link(name, device)))
    for name, device in unit.devices_of_kind("focuser").items():
        devices.focusers[name] = (sim.SimFocuser(name, device.address) if backend(name) == "sim"
                                  else indi.IndiFocuser(name, links.link(name, device)))
    devices.weather_stations = build_weather_stations(unit, links)
    for channel in unit.channels:
        camera = unit.devices[channel.camera]
        if backend(channel.camera) == "sim":
            devices.cameras[channel.name] = sim.SimCamera(channel.camera, camera.address, channel)
        else:
            devices.cameras[channel.name] = indi.IndiCamera(
                channel.camera, links.link(channel.camera, camera),
                readout_time=channel.readout_time)
        if channel.filter_wheel:
            wheel = unit.devices[channel.filter_wheel]
            devices.filter_wheels[channel.name] = (
                sim.SimFilterWheel(channel.filter_wheel, wheel.address, channel)
                if backend(channel.filter_wheel) == "sim"
                else indi.IndiFilterWheel(channel.filter_wheel,
                                          links.link(channel.filter_wheel, wheel)))
        elif camera.backend == "sim":  # a simulated camera serves its own wheel
            devices.filter_wheels[channel.name] = sim.SimFilterWheel(
                f"{channel.camera}.filters", camera.address, channel)
    return devices
