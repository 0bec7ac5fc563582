"""Device errors: each names the device, so a night log says what failed."""

from __future__ import annotations


class DeviceError(Exception):
    def __init__(self, device: str, message: str) -> None:
        super().__init__(f"{device}: {message}")
        self.device = device
        self.reason = message


class DeviceTimeout(DeviceError):
    """The device did not answer, or did not finish, in time."""


class DeviceDisconnected(DeviceError):
    """The device cannot be reached (PyROS keeps trying to reconnect)."""


class DeviceRefused(DeviceError):
    """The request was refused before reaching the device (bad input, unsafe target)."""


class ExposureAborted(DeviceError):
    """The exposure was aborted by a call to abort(); no file was written."""


class MotionAborted(DeviceError):
    """A motion (slew, park, shutter, rotation) was stopped by a call to abort() before it
    arrived: the device is wherever it stopped, not where it was sent."""
