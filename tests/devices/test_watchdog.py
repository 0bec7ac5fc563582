"""The second safety layer: armed, then left without the majordome's heartbeat, the
simulated dome closes and the mount parks by themselves; heartbeats, disarming, or a
device already safe leave everything as it is. The watchdog counts wall seconds, as the
heartbeats do, whatever the simulated clock's speed (50× here). An INDI device has one
only when the unit has INDI's WatchDog driver (tests/devices/indi/test_integration.py)."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest

from pyros.devices.errors import DeviceRefused
from pyros.devices.interfaces import ShutterState
from pyros.simulators.server import WATCHDOG_CHECK
from tests.waiting import wait_until

UP = (150.0, 20.0)  # high in the east at TEST_NOW
SHORT = 1.0  # wall seconds: 50 s of the simulator's clock
#: A watchdog kept alive by heartbeats every 0.1 s of wall time (a quarter of its period
#: is 1 s): 2 s of wall time, which a busy machine may well hold the test's thread, do
#: not make it trip.
KEPT = 4.0


def opened_and_pointing(devices) -> None:
    devices.dome.open(timeout=60)
    devices.mount.unpark()
    devices.mount.slew(*UP)


def test_without_heartbeat_the_dome_closes_and_the_mount_parks(observatory, caplog):
    caplog.set_level(logging.WARNING, logger="pyros.simulators")
    mount, dome = observatory.mount, observatory.dome
    assert mount.has_watchdog and dome.has_watchdog
    opened_and_pointing(observatory)
    armed, armed_wall = dome.status().time, time.monotonic()
    mount.arm_watchdog(SHORT)
    dome.arm_watchdog(SHORT)
    wait_until(lambda: dome.status().shutter == ShutterState.CLOSED, "the shutter closed")
    wait_until(lambda: mount.status().parked, "the mount parked")
    assert time.monotonic() - armed_wall >= SHORT  # a second of wall time, not 1/50th
    tripped = dome.status().watchdog_tripped_at  # said on the simulator's clock
    assert tripped is not None and tripped - armed >= timedelta(seconds=SHORT * 0.9 * 50)
    assert mount.status().watchdog_tripped
    assert "dome: watchdog: no heartbeat for 1 s: closing the shutter" in caplog.text
    assert "mount: watchdog: no heartbeat for 1 s: parking the mount" in caplog.text
    dome.open(timeout=60)  # having tripped, the watchdog is disarmed
    time.sleep(2 * SHORT)
    assert dome.status().shutter == ShutterState.OPEN


def test_regular_heartbeats_keep_the_dome_open_and_disarming_stops_the_watch(observatory):
    mount, dome = observatory.mount, observatory.dome
    opened_and_pointing(observatory)
    stop = time.monotonic() + 1.5 * KEPT
    while time.monotonic() < stop:  # every 5 s of the simulator's clock
        mount.arm_watchdog(KEPT)
        dome.arm_watchdog(KEPT)
        time.sleep(0.1)
    mount.arm_watchdog(0)
    dome.arm_watchdog(0)
    time.sleep(1.5 * KEPT)
    mount_status, dome_status = mount.status(), dome.status()
    assert dome_status.shutter == ShutterState.OPEN and not dome_status.watchdog_tripped
    assert not mount_status.parked and not mount_status.slewing
    assert mount_status.tracking and not mount_status.watchdog_tripped


def test_neither_a_fast_clock_nor_a_clock_set_forward_trips_it(simulator_factory):
    """At --speed 20 a 60 s watchdog counted on the clock was 3 s of wall time: one slow
    decision on a loaded machine and the dome closed in the middle of a safe night."""
    simulator, devices = simulator_factory()
    opened_and_pointing(devices)
    devices.mount.arm_watchdog(KEPT)
    devices.dome.arm_watchdog(KEPT)
    time.sleep(KEPT / 4)  # a heartbeat's interval: KEPT × 50 / 4 s of the clock
    simulator.clock.set(simulator.clock.now() + timedelta(hours=2))
    devices.mount.arm_watchdog(KEPT)
    devices.dome.arm_watchdog(KEPT)
    time.sleep(2 * WATCHDOG_CHECK)
    devices.mount.arm_watchdog(0)
    devices.dome.arm_watchdog(0)
    assert devices.dome.status().shutter == ShutterState.OPEN
    assert not devices.dome.status().watchdog_tripped
    assert not devices.mount.status().parked and not devices.mount.status().watchdog_tripped


def test_a_device_already_safe_is_left_alone(observatory, caplog):
    caplog.set_level(logging.WARNING, logger="pyros.simulators")
    mount, dome = observatory.mount, observatory.dome  # they start parked and closed
    mount.arm_watchdog(SHORT)
    dome.arm_watchdog(SHORT)
    wait_until(lambda: mount.status().watchdog_tripped and dome.status().watchdog_tripped,
               "the watchdogs tripping")
    mount_status, dome_status = mount.status(), dome.status()
    assert mount_status.parked and not mount_status.slewing
    assert dome_status.shutter == ShutterState.CLOSED and not dome_status.moving
    assert "mount: watchdog: no heartbeat for 1 s: the mount is already parked" in caplog.text
    assert "dome: watchdog: no heartbeat for 1 s: the shutter is already closed" in caplog.text


def test_bad_periods_are_refused(observatory):
    with pytest.raises(DeviceRefused, match="not >= 0"):
        observatory.dome.arm_watchdog(-1.0)
    with pytest.raises(DeviceRefused, match=r"outside 0\.\.86400"):
        observatory.mount.arm_watchdog(1e9)


def test_an_indi_device_without_the_watchdog_driver_has_no_watchdog():
    from pyros.devices.indi.client import IndiClient
    from pyros.devices.indi.devices import IndiDome

    dome = IndiDome("dome", IndiClient("127.0.0.1", 1).device("Dome Simulator", "dome"))
    assert not dome.has_watchdog
    with pytest.raises(DeviceRefused, match="dome: no watchdog: add indi_watchdog"):
        dome.arm_watchdog(60.0)
