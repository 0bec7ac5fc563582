"""A unit's devices, built from its configuration: the one place that knows which
backend class serves which kind of device."""

from __future__ import annotations

from dataclasses import dataclass, field

from pyros.config.schema import UnitConfig
from pyros.devices.interfaces import Camera, Dome, FilterWheel, Focuser, Mount


class UnsupportedBackend(Exception):
    pass


@dataclass
class UnitDevices:
    mount: Mount
    domes: dict[str, Dome] = field(default_factory=dict)
    cameras: dict[str, Camera] = field(default_factory=dict)  # by channel name
    filter_wheels: dict[str, FilterWheel] = field(default_factory=dict)  # by channel name
    focusers: dict[str, Focuser] = field(default_factory=dict)

    @property
    def dome(self) -> Dome | None:
        return next(iter(self.domes.values()), None)


def build_devices(unit: UnitConfig) -> UnitDevices:
    from pyros.devices import sim

    def backend_of(name: str) -> str:
        backend = unit.devices[name].backend
        if backend == "indi":
            raise UnsupportedBackend(f"device {name}: the indi backend is not wired into "
                                     "the factory yet")
        return backend

    mount_name = unit.mount.device
    backend_of(mount_name)
    devices = UnitDevices(mount=sim.SimMount(mount_name, unit.devices[mount_name].address, unit))
    for name, device in unit.devices_of_kind("dome").items():
        backend_of(name)
        devices.domes[name] = sim.SimDome(name, device.address)
    for name, device in unit.devices_of_kind("focuser").items():
        backend_of(name)
        devices.focusers[name] = sim.SimFocuser(name, device.address)
    for channel in unit.channels:
        backend_of(channel.camera)
        address = unit.devices[channel.camera].address
        devices.cameras[channel.name] = sim.SimCamera(channel.camera, address, channel)
        devices.filter_wheels[channel.name] = sim.SimFilterWheel(
            f"{channel.camera}.filters", address, channel)
    return devices
