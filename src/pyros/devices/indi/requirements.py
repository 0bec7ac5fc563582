"""The INDI properties PyROS uses for each kind of device: what ``pyros config check
--probe`` looks for, and what docs/devices.md lists for users writing a configuration.

``REQUIRED``: without one of these the device cannot do its job (``A|B``: either will
do). ``OPTIONAL``: used when the driver has them; without them PyROS does less.
"""

from __future__ import annotations

REQUIRED: dict[str, tuple[str, ...]] = {
    "mount": ("EQUATORIAL_EOD_COORD", "TELESCOPE_ABORT_MOTION", "TELESCOPE_PARK"),
    "dome": ("DOME_SHUTTER|DOME_PARK", "DOME_ABORT_MOTION"),
    "camera": ("CCD_EXPOSURE", "CCD_ABORT_EXPOSURE", "CCD_INFO", "CCD_BINNING", "CCD_FRAME",
               "CCD_FRAME_TYPE", "CCD1"),
    "filterwheel": ("FILTER_SLOT", "FILTER_NAME"),
    "focuser": ("ABS_FOCUS_POSITION",),
    "weather": ("WEATHER_PARAMETERS",),
    "watchdog": ("WATCHDOG_HEARTBEAT", "WATCHDOG_Trigger", "WATCHDOG_SHUTDOWN",
                 "ACTIVE_DEVICES"),
}

OPTIONAL: dict[str, tuple[str, ...]] = {
    "mount": ("TELESCOPE_TRACK_STATE", "ON_COORD_SET", "GEOGRAPHIC_COORD", "TIME_UTC"),
    "dome": ("ABS_DOME_POSITION", "DOME_AUTOSYNC", "DOME_SHUTTER_PARK_POLICY"),
    "camera": ("ACTIVE_DEVICES", "CCD_TEMPERATURE", "CCD_COOLER", "UPLOAD_MODE",
               "CCD_TRANSFER_FORMAT", "CCD_COMPRESSION", "FITS_HEADER"),
    "filterwheel": (),
    "focuser": ("REL_FOCUS_POSITION", "FOCUS_MOTION"),
    "weather": ("WEATHER_STATUS",),
    "watchdog": ("WATCHDOG_MOUNT_POLICY",),
}


def missing(kind: str, defined: set[str] | dict[str, object],
            table: dict[str, tuple[str, ...]] = REQUIRED) -> list[str]:
    """The entries of ``table[kind]`` the driver has not defined."""
    return [entry for entry in table.get(kind, ())
            if not any(name in defined for name in entry.split("|"))]
