"""PyROS's INDI backend against Debian's simulators: how far slews end from their
targets, whether the first status after connecting is the driver's, and what each
operation costs through PyROS compared with the same operation done with INDI's own
command-line clients (indi_setprop, then indi_eval waiting for the result), in the same
run. Figures, never pass/fail on time.

Run with ``pytest benchmarks/bench_indi.py -s -p no:cacheprovider``; docs/devices.md
quotes its output. The indiserver runs in a network namespace (tests/devices/indi).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pyros.devices.indi.camera import IndiCamera
from pyros.devices.indi.client import IndiClient
from pyros.devices.indi.devices import (
    IndiFilterWheel,
    IndiFocuser,
    IndiMount,
    eod_to_icrs,
)
from pyros.devices.interfaces import MountCapabilities
from tests.devices.indi import conftest as indi_conftest
from tests.devices.indi.conftest import NamespacedIndiserver
from tests.devices.indi.test_integration import (
    CHANNEL,
    SITE,
    WALL,
    at_hour_angle,
    separation,
)

indiserver = indi_conftest.indiserver  # the namespaced indiserver, a fixture
REPEAT = 5
MOUNT, FOCUSER, WHEEL, CCD = ("Telescope Simulator", "Focuser Simulator", "Filter Simulator",
                              "CCD Simulator")
#: settle_time 0: the slew's figure is the motion and the checks, as the baseline's.
LIMITS = MountCapabilities(slew_rate_ra=5.0, slew_rate_dec=5.0, settle_time=0.0,
                           min_altitude=15.0, max_hour_angle=6.0)


@pytest.fixture(scope="module")
def indi_client(indiserver: NamespacedIndiserver) -> Iterator[IndiClient]:
    client = IndiClient(unix_path=indiserver.socket)
    yield client
    client.close()


def median(action: Callable[[], float | None], repeat: int = REPEAT) -> float:
    """Median seconds; ``action`` returns its own time, or None to be timed here."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        own = action()
        times.append(own if own is not None else time.perf_counter() - start)
    return statistics.median(times)


def test_indi_figures(indiserver: NamespacedIndiserver, indi_client: IndiClient,
                      tmp_path: Path) -> None:
    client = indi_client

    def tools(*commands: list[str]) -> float:
        total = 0.0
        for argv in commands:
            done = indiserver.run(*argv)
            assert done["rc"] == 0, done
            total += float(done["seconds"])
        return total

    mount = IndiMount("mount", client.device(MOUNT, "mount"), SITE, LIMITS, clock=WALL,
                      pointing_tolerance=5.0)
    # The first status after connecting, against the driver's own value.
    first = mount.status(timeout=20)
    values = indiserver.getprop(f"{MOUNT}.EQUATORIAL_EOD_COORD.*")
    driver = eod_to_icrs(float(values[f"{MOUNT}.EQUATORIAL_EOD_COORD.RA"]),
                         float(values[f"{MOUNT}.EQUATORIAL_EOD_COORD.DEC"]), WALL.now())
    first_gap = separation(first.ra, first.dec, *driver) * 3600

    focuser = IndiFocuser("focuser", client.device(FOCUSER, "focuser"))
    wheel = IndiFilterWheel("wheel", client.device(WHEEL, "wheel"))
    camera = IndiCamera("camera", client.device(CCD, "camera"), readout_time=5.0,
                        channel=CHANNEL)
    for device in (focuser, wheel, camera):
        device.connect(20)

    rows: list[tuple[str, float, float]] = []
    status = median(lambda: mount.status() and None)
    # Named elements: indi_getprop returns once it has them (a wildcard waits for -t).
    status_tool = median(lambda: tools(["indi_getprop", "-t", "2",
                                        f"{MOUNT}.EQUATORIAL_EOD_COORD.RA",
                                        f"{MOUNT}.EQUATORIAL_EOD_COORD.DEC"]))
    rows.append(("mount position read", status, status_tool))

    targets = iter(range(10_000, 90_000, 1_000))

    def focus_pyros() -> None:
        focuser.move_to(next(targets))

    def focus_tools() -> float:
        target = next(targets)
        element = f"{FOCUSER}.ABS_FOCUS_POSITION.FOCUS_ABSOLUTE_POSITION"
        return tools(["indi_setprop", f"{element}={target}"],
                     ["indi_eval", "-w", "-t", "60", f'"{element}"=={target}'])
    rows.append(("focuser move 1000 steps", median(focus_pyros), median(focus_tools)))

    slots = iter([1, 2] * REPEAT)

    def filter_pyros() -> None:
        wheel.set_filter(CHANNEL.filters[next(slots) - 1])

    def filter_tools() -> float:
        slot = next(slots)
        element = f"{WHEEL}.FILTER_SLOT.FILTER_SLOT_VALUE"
        return tools(["indi_setprop", f"{element}={slot}"],
                     ["indi_eval", "-w", "-t", "60", f'"{element}"=={slot}'])
    rows.append(("filter change", median(filter_pyros), median(filter_tools)))

    misses: list[float] = []
    hour_angles = iter([-5.0, -3.0] * REPEAT)

    def slew_pyros() -> None:
        mount.slew(at_hour_angle(next(hour_angles)), 60.0, timeout=120)
        assert mount.last_miss is not None
        misses.append(mount.last_miss)

    def slew_tools() -> float:
        from pyros.devices.indi.devices import icrs_to_eod

        ra, dec = icrs_to_eod(at_hour_angle(next(hour_angles)), 60.0, WALL.now())
        vector = f"{MOUNT}.EQUATORIAL_EOD_COORD"
        return tools(["indi_setprop", f"{vector}.RA;DEC={ra};{dec}"],
                     ["indi_eval", "-w", "-t", "60", f'"{vector}._STATE"==2'],
                     ["indi_eval", "-w", "-t", "120", f'"{vector}._STATE"==1'])
    mount.track(True)
    rows.append(("slew 2 h of hour angle", median(slew_pyros), median(slew_tools)))

    exposures = iter(range(100))

    def expose_pyros() -> None:
        camera.expose(0.1, tmp_path / f"pyros{next(exposures)}.fits", binning=4)

    rows.append(("exposure 0.1 s, 320x256", median(expose_pyros), float("nan")))
    # The baseline saves the image next to the driver (UPLOAD_LOCAL), as a tool would.
    tools(["indi_setprop", f"{CCD}.UPLOAD_SETTINGS.UPLOAD_DIR={indiserver.home}"],
          ["indi_setprop", f"{CCD}.UPLOAD_MODE.UPLOAD_LOCAL=On"])
    vector = f"{CCD}.CCD_EXPOSURE"
    rows[-1] = (rows[-1][0], rows[-1][1], median(lambda: tools(
        ["indi_setprop", f"{vector}.CCD_EXPOSURE_VALUE=0.1"],
        ["indi_eval", "-w", "-t", "60", f'"{vector}._STATE"==2'],
        ["indi_eval", "-w", "-t", "60", f'"{vector}._STATE"==1'])))

    print("\n\nINDI simulators (Debian indi-bin), median of", REPEAT, "runs")
    print(f"first status after connecting vs indi_getprop: {first_gap:.2f} arcsec apart")
    print(f"slew ends from target (PyROS, tracking on): max {max(misses):.2f} arcsec, "
          f"median {statistics.median(misses):.2f} arcsec over {len(misses)} slews")
    print(f"{'operation':28} {'PyROS s':>9} {'tools s':>9} {'ratio':>7}")
    for name, pyros, tool in rows:
        print(f"{name:28} {pyros:9.3f} {tool:9.3f} {pyros / tool:7.2f}")
