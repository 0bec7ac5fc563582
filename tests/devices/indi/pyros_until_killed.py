"""Stands for PyROS's majordome in the watchdog test: connects to the INDI simulators,
opens the dome, unparks the mount, arms INDI's WatchDog through them and renews it
until it is killed (SIGKILL: no chance to clean up, as when the machine hangs).

``python pyros_until_killed.py SOCKET SECONDS``; prints ``armed`` once armed.
"""

from __future__ import annotations

import sys
import time

from pyros.clock import RealClock
from pyros.config.schema import Site
from pyros.devices.indi.client import IndiClient
from pyros.devices.indi.devices import IndiDome, IndiMount
from pyros.devices.indi.watchdog import IndiWatchdog
from pyros.devices.interfaces import MountCapabilities

SITE = Site(name="Test site", latitude=45.0, longitude=5.0, elevation=300.0)


def main(socket: str, seconds: float) -> None:
    client = IndiClient(unix_path=socket)
    watchdog = IndiWatchdog("watchdog", client.device("WatchDog", "watchdog"),
                            "Telescope Simulator", "Dome Simulator")
    dome = IndiDome("dome", client.device("Dome Simulator", "dome"), watchdog=watchdog)
    mount = IndiMount("mount", client.device("Telescope Simulator", "mount"), SITE,
                      MountCapabilities(5.0, 5.0, 1.0, 15.0, 6.0), clock=RealClock(),
                      watchdog=watchdog)
    dome.open(timeout=60)
    mount.unpark(timeout=30)
    while True:
        mount.arm_watchdog(seconds)
        dome.arm_watchdog(seconds)
        if not getattr(main, "told", False):
            print("armed", flush=True)
            main.told = True  # type: ignore[attr-defined]
        time.sleep(seconds / 4)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
