"""The second safety layer on an INDI site: INDI's own WatchDog driver (``indi_watchdog``,
in Debian's ``indi-bin``), which runs under indiserver, beside the drivers, and so keeps
working whatever happens to PyROS's processes.

The driver waits for a heartbeat: every order to ``WATCHDOG_HEARTBEAT`` restarts its
timer of that many seconds. When the timer runs out (PyROS died, hung, or lost the
network), the driver connects to its indiserver as a client of its own and parks the
mount and the dome it is told about (``ACTIVE_DEVICES``); PyROS sets the dome to close its
shutter when it parks (``DOME_SHUTTER_PARK_POLICY``), so parking the dome closes it.

PyROS arms it through the mount's and the dome's :meth:`arm_watchdog` (the majordome's
heartbeat): both share one :class:`IndiWatchdog`. Disarming switches the client trigger
off (the driver ignores a heartbeat of 0 while its timer runs).
"""

from __future__ import annotations

import math
from datetime import datetime

from pyros import clock
from pyros.devices.errors import DeviceRefused
from pyros.devices.indi.client import DeviceLink
from pyros.devices.indi.devices import _Deadline, _IndiDevice


class IndiWatchdog(_IndiDevice):
    """INDI's WatchDog driver, set up to park ``mount`` and ``dome`` (INDI device names;
    None leaves that device out)."""

    _marker = ("WATCHDOG_HEARTBEAT",)

    def __init__(self, name: str, link: DeviceLink, mount: str | None,
                 dome: str | None) -> None:
        self.name = name
        self._init_link(link)
        self.mount, self.dome = mount, dome
        self._armed_version: int | None = None  # the heartbeat's version when armed
        self._tripped_at: datetime | None = None

    def _setup(self, timeout: float) -> None:
        deadline = _Deadline(timeout)
        properties = self.link.properties()
        self._require(properties, "WATCHDOG_SHUTDOWN", "is it indi_watchdog?")
        active = {"ACTIVE_TELESCOPE": self.mount or "", "ACTIVE_DOME": self.dome or ""}
        self.link.set("ACTIVE_DEVICES", active, timeout=deadline.left())
        self.link.set("WATCHDOG_SHUTDOWN", {"PARK_MOUNT": bool(self.mount),
                                            "PARK_DOME": bool(self.dome),
                                            "EXECUTE_SCRIPT": False},
                      timeout=deadline.left(), echoes=False)
        # The dome parks at once, without waiting for the mount: rain comes first.
        self._switch_if_off(properties, "WATCHDOG_MOUNT_POLICY", "MOUNT_IGNORED",
                            deadline.left())
        self._armed_version = None

    def arm(self, seconds: float, timeout: float = 5.0) -> None:
        """Arm or renew for ``seconds`` (whole seconds, at least 1); 0 disarms."""
        if seconds < 0 or not math.isfinite(seconds):
            raise DeviceRefused(self.name, f"watchdog period {seconds} s is not >= 0")
        deadline = _Deadline(timeout)
        properties = self._ready(timeout)
        trigger = self._require(properties, "WATCHDOG_Trigger", "no client trigger")
        if seconds == 0:
            if trigger.is_on("TRIGGER_CLIENT"):
                self.link.set("WATCHDOG_Trigger", {"TRIGGER_CLIENT": False},
                              timeout=deadline.left(), echoes=False)
            self._armed_version = None
            return
        beat = self.link.set("WATCHDOG_HEARTBEAT",
                             {"WATCHDOG_HEARTBEAT_VALUE": float(max(1, math.ceil(seconds)))},
                             timeout=deadline.left(), echoes=False)
        if not trigger.is_on("TRIGGER_CLIENT"):
            self.link.set("WATCHDOG_Trigger", {"TRIGGER_CLIENT": True},
                          timeout=deadline.left(), echoes=False)
        if self._armed_version is None:
            self._armed_version = beat.version
            self._tripped_at = None

    def tripped_at(self) -> datetime | None:
        """When PyROS first saw the driver run its shutdown after being armed (None if
        it has not, or if PyROS was not connected to see it). Arming never touches
        ``WATCHDOG_SHUTDOWN``: any update of it since is the driver's shutdown (Busy,
        then Ok when done; only Ok on a second trip, when its client is still up)."""
        if self._armed_version is None:
            return self._tripped_at
        shutdown = self.link.find("WATCHDOG_SHUTDOWN")
        if shutdown is not None and shutdown.version > self._armed_version:
            self._tripped_at = clock.now()
            self._armed_version = None  # the driver's timer is spent: it disarmed itself
        return self._tripped_at
