"""A unit's devices all on one Alpaca server: the simulated devices that match a unit
(a camera and a filter wheel per channel, with its filters), and the unit's
configuration turned to the ``alpaca`` backend on that server. Tests, the benchmark and
``pyros sim alpaca`` use both."""

from __future__ import annotations

from pyros.config.schema import Device, UnitConfig
from pyros.simulators.alpaca.common import SimClock, SimDevice
from pyros.simulators.alpaca.motion import SimDome, SimFilterWheel, SimFocuser, SimTelescope
from pyros.simulators.alpaca.sensors import SimCamera, SimObservingConditions, SimSafetyMonitor

#: The small sensor the simulated cameras have (a frame is quick to make and to send).
SENSOR = (256, 192)


def devices_for_unit(unit: UnitConfig, clock: SimClock) -> list[SimDevice]:
    """Numbered in order within each type: camera N and filter wheel N serve channel N."""
    devices: list[SimDevice] = [SimTelescope(unit.mount.name, clock),
                                SimDome("dome", clock)]
    for channel in unit.channels:
        devices.append(SimCamera(f"camera {channel.name}", clock, *SENSOR))
        devices.append(SimFilterWheel(f"filters {channel.name}", clock, channel.filters))
    devices += [SimFocuser("focuser", clock), SimObservingConditions("weather", clock),
                SimSafetyMonitor("safety", clock)]
    return devices


def unit_on_alpaca(unit: UnitConfig, address: str) -> UnitConfig:
    """``unit`` with its mount, dome, cameras, filter wheels and focuser on the Alpaca
    server at ``address`` (numbered as :func:`devices_for_unit` serves them), plus a
    weather station and a safety monitor; the PLC stays as it was."""

    def alpaca(kind: str, number: int = 0, **extra: object) -> Device:
        return Device(kind=kind, backend="alpaca", address=address, alpaca_device=number,
                      **extra)

    devices = {name: device for name, device in unit.devices.items() if device.kind == "plc"}
    devices[unit.mount.device] = alpaca("mount")
    devices["dome"] = alpaca("dome")
    devices["focuser"] = alpaca("focuser")
    devices["weather"] = alpaca("weather")
    devices["safety"] = alpaca("weather", alpaca_type="safetymonitor")
    channels = []
    for number, channel in enumerate(unit.channels):
        camera, wheel = f"camera_{channel.name.lower()}", f"wheel_{channel.name.lower()}"
        devices[camera] = alpaca("camera", number)
        devices[wheel] = alpaca("filterwheel", number)
        channels.append(channel.model_copy(update={
            "camera": camera, "filter_wheel": wheel, "width": SENSOR[0], "height": SENSOR[1]}))
    return unit.model_copy(update={"devices": devices, "channels": channels})
