"""``pyros config check --probe``: connect to the configured indiservers and say, for
each INDI device, whether its driver is there, which of the properties PyROS needs it
lacks, and whether it matches the configuration (sensor size, filter names)."""

from __future__ import annotations

from dataclasses import dataclass

from pyros.config.schema import UnitConfig
from pyros.devices.errors import DeviceError
from pyros.devices.factory import UnitDevices, build_devices
from pyros.devices.indi import requirements


@dataclass(frozen=True)
class Probe:
    name: str  # the device's key in [devices]
    kind: str
    indi_device: str
    address: str
    found: bool  # the driver defined properties
    missing: tuple[str, ...]  # required properties it lacks
    missing_optional: tuple[str, ...]
    problem: str  # why connecting or checking it failed ("" if it did not)

    @property
    def ok(self) -> bool:
        return self.found and not self.missing and not self.problem

    def describe(self) -> str:
        where = f"{self.indi_device!r} at {self.address}"
        if not self.found:
            return f"{self.name} ({self.kind}): NOT FOUND, {where}: {self.problem}"
        parts = [f"{self.name} ({self.kind}): {'ok' if self.ok else 'PROBLEM'}, {where}"]
        if self.missing:
            parts.append(f"missing {', '.join(self.missing)}")
        if self.problem:
            parts.append(self.problem)
        if self.missing_optional:
            parts.append(f"without {', '.join(self.missing_optional)} (optional)")
        return "; ".join(parts)


def _objects(unit: UnitConfig, devices: UnitDevices) -> dict[str, object]:
    """Each INDI device of the configuration with the object that drives it."""
    found: dict[str, object] = {unit.mount.device: devices.mount, **devices.domes,
                                **devices.focusers, **devices.weather_stations}
    for channel in unit.channels:
        found[channel.camera] = devices.cameras[channel.name]
        if channel.filter_wheel:
            found[channel.filter_wheel] = devices.filter_wheels[channel.name]
    watchdog = devices.watchdog
    if watchdog is not None:
        found[watchdog.name] = watchdog  # type: ignore[attr-defined]
    return {name: device for name, device in found.items()
            if unit.devices[name].backend == "indi"}


def probe(unit: UnitConfig, timeout: float = 10.0) -> list[Probe]:
    devices = build_devices(unit)
    results = []
    clients = {}
    try:
        for name, device in _objects(unit, devices).items():
            link = device.link  # type: ignore[attr-defined]
            clients[id(link.client)] = link.client
            problem = ""
            try:
                device.connect(timeout)  # type: ignore[attr-defined]
            except DeviceError as error:
                problem = error.reason
            defined = link.properties()
            kind = unit.devices[name].kind
            results.append(Probe(
                name, kind, link.indi_device, link.client.address, bool(defined),
                tuple(requirements.missing(kind, defined)) if defined else (),
                tuple(requirements.missing(kind, defined, requirements.OPTIONAL))
                if defined else (), problem))
    finally:
        for client in clients.values():
            client.close()
    return results
