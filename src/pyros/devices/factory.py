"""A unit's devices, built from its configuration: the one place that knows which
backend class serves which kind of device."""

from __future__ import annotations

from dataclasses import dataclass, field

from pyros.config.schema import Channel, Device, UnitConfig
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
    watchdog: object | None = None  # INDI's WatchDog driver, shared by mount and dome

    @property
    def dome(self) -> Dome | None:
        return next(iter(self.domes.values()), None)


class _IndiLinks:
    """One INDI connection per indiserver, shared by its devices."""

    def __init__(self, unit: UnitConfig) -> None:
        self.unit = unit
        self.clients: dict[str, object] = {}

    def link(self, name: str, device: Device):
        from pyros.devices.indi.client import IndiClient

        if not device.indi_device:
            raise UnsupportedBackend(f"device {name}: an indi device needs indi_device, the "
                                     "driver's device name (e.g. \"Telescope Simulator\")")
        address = device.indi_address(self.unit.indi_servers)
        if address not in self.clients:
            self.clients[address] = IndiClient.from_address(address)
        return self.clients[address].device(device.indi_device, label=name)

    def same_server(self, a: Device, b: Device) -> bool:
        servers = self.unit.indi_servers
        return a.backend == b.backend == "indi" and \
            a.indi_address(servers) == b.indi_address(servers)


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

    links = links or _IndiLinks(unit)
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
    from pyros.devices.indi.camera import IndiCamera
    from pyros.devices.indi.headers import Companions

    links, alpaca_links = _IndiLinks(unit), _AlpacaLinks()

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
    domes = unit.devices_of_kind("dome")
    watchdog = _indi_watchdog(unit, links, mount_device, domes)
    mount = (sim.SimMount(m.device, mount_device.address, unit) if backend(m.device) == "sim"
             else alpaca[m.device] if backend(m.device) == "alpaca"
             else indi.IndiMount(m.device, links.link(m.device, mount_device), unit.site,
                                 capabilities, pointing_tolerance=m.pointing_tolerance,
                                 watchdog=watchdog))
    if m.pointing_model.enabled:
        from pyros.devices.corrected import CorrectedMount
        from pyros.pointing.active import ActiveModel

        mount = CorrectedMount(mount, unit.site, ActiveModel())
    devices = UnitDevices(mount=mount, watchdog=watchdog)
    for name, device in domes.items():
        devices.domes[name] = (sim.SimDome(name, device.address) if backend(name) == "sim"
                               else alpaca[name] if backend(name) == "alpaca"
                               else indi.IndiDome(name, links.link(name, device),
                                                  watchdog=watchdog))
    for name, device in unit.devices_of_kind("focuser").items():
        devices.focusers[name] = (sim.SimFocuser(name, device.address) if backend(name) == "sim"
                                  else alpaca[name] if backend(name) == "alpaca"
                                  else indi.IndiFocuser(name, links.link(name, device)))
    devices.weather_stations = build_weather_stations(unit, links, alpaca_links)
    for channel in unit.channels:
        camera = unit.devices[channel.camera]
        if channel.filter_wheel:
            wheel = unit.devices[channel.filter_wheel]
            devices.filter_wheels[channel.name] = (
                sim.SimFilterWheel(channel.filter_wheel, wheel.address, channel)
                if backend(channel.filter_wheel) == "sim"
                else alpaca[channel.filter_wheel] if backend(channel.filter_wheel) == "alpaca"
                else indi.IndiFilterWheel(channel.filter_wheel,
                                          links.link(channel.filter_wheel, wheel),
                                          expected=channel.filters))
        elif camera.backend == "sim":  # a simulated camera serves its own wheel
            devices.filter_wheels[channel.name] = sim.SimFilterWheel(
                f"{channel.camera}.filters", camera.address, channel)
        if backend(channel.camera) == "sim":
            devices.cameras[channel.name] = sim.SimCamera(channel.camera, camera.address, channel)
            continue
        if backend(channel.camera) == "alpaca":
            devices.cameras[channel.name] = alpaca[channel.camera]
            continue
        focuser = _channel_focuser(unit, channel)
        others = {"ACTIVE_TELESCOPE": m.device, "ACTIVE_FILTER": channel.filter_wheel,
                  "ACTIVE_FOCUSER": focuser}
        snoop = {element: unit.devices[other].indi_device or ""
                 for element, other in others.items()
                 if other is not None and links.same_server(camera, unit.devices[other])}
        companions = Companions(mount=mount, wheel=devices.filter_wheels.get(channel.name),
                                focuser=devices.focusers.get(focuser) if focuser else None)
        devices.cameras[channel.name] = IndiCamera(
            channel.camera, links.link(channel.camera, camera),
            readout_time=channel.readout_time, channel=channel, snoop=snoop,
            companions=companions)
    return devices


def _channel_focuser(unit: UnitConfig, channel: Channel) -> str | None:
    """The channel's focuser: the one it names, else the unit's only one."""
    if channel.focuser is not None:
        return channel.focuser
    focusers = list(unit.devices_of_kind("focuser"))
    return focusers[0] if len(focusers) == 1 else None


def _indi_watchdog(unit: UnitConfig, links: _IndiLinks, mount: Device,
                   domes: dict[str, Device]):
    """INDI's WatchDog driver, set to park the mount and the dome when they are INDI
    devices on its indiserver (the driver parks them through that server)."""
    from pyros.devices.indi.watchdog import IndiWatchdog

    for name, device in unit.devices_of_kind("watchdog").items():
        dome = next((d for d in domes.values() if links.same_server(device, d)), None)
        return IndiWatchdog(name, links.link(name, device),
                            mount.indi_device if links.same_server(device, mount) else None,
                            dome.indi_device if dome is not None else None)
    return None
