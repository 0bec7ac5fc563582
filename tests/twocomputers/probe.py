"""Run on the telescope computer by the two-computers test: print the mount's and the
dome's state every 0.2 s of wall time, as the devices themselves say it (no database),
one line of JSON each: {"t": wall time, "parked": ..., "shutter": ...} or "error"."""

from __future__ import annotations

import json
import os
import sys
import time


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pyros.config.settings")
    from pyros import clock
    from pyros.config.loader import active_config
    from pyros.devices.errors import DeviceError
    from pyros.devices.factory import build_devices

    clock.install_from_environment()
    devices = build_devices(active_config())
    while True:
        line: dict[str, object] = {"t": time.time()}
        try:
            line["parked"] = devices.mount.status(1.0).parked
            line["shutter"] = str(devices.dome.status(1.0).shutter) if devices.dome else ""
        except DeviceError as exc:
            line["error"] = str(exc)
        print(json.dumps(line), flush=True)
        time.sleep(0.2)


if __name__ == "__main__":
    sys.exit(main())
