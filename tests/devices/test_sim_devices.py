"""The sim backend against the simulated devices: every interface, the target checks,
and faults (silent, disconnected, stuck)."""

import time

import pytest

from pyros.devices.errors import DeviceDisconnected, DeviceRefused, DeviceTimeout
from pyros.devices.interfaces import CameraState, ShutterState
from pyros.simulators.models import PARK_ALT

# At TEST_NOW (2026-11-21 12:00 UTC, 05:00 local at San Pedro Martir), RA 150, Dec +20
# is high in the east; RA 300, Dec -60 is under the horizon.
UP = (150.0, 20.0)
DOWN = (300.0, -60.0)


def test_the_mount_starts_parked_slews_tracks_and_parks(simulator_factory):
    # At 2×, the slew from the park takes some 3 s of wall time: still under way when
    # the status is read, on a busy machine too.
    mount = simulator_factory(speed=2.0)[1].mount
    start = mount.status()
    assert start.parked and start.alt == pytest.approx(PARK_ALT, abs=0.01)
    with pytest.raises(DeviceRefused, match="parked"):
        mount.slew(*UP)
    mount.unpark()
    mount.slew(*UP, wait=False)
    assert mount.status().slewing
    mount.slew(*UP)  # waits for the end
    status = mount.status()
    assert (status.ra, status.dec) == pytest.approx(UP, abs=1e-6)
    assert status.tracking and not status.slewing and not status.parked
    assert status.alt > 20 and 0 < status.az < 180
    mount.park()
    assert mount.status().parked


def test_targets_under_the_horizon_are_never_sent(observatory):
    mount = observatory.mount
    mount.unpark()
    before = mount.status()
    with pytest.raises(DeviceRefused, match="below the horizon"):
        mount.slew(*DOWN)
    with pytest.raises(DeviceRefused, match="not ICRS degrees"):
        mount.slew(400.0, 0.0)
    after = mount.status()
    assert not after.slewing and after.tracking == before.tracking


def test_abort_stops_a_slew_where_it_is(simulator_factory):
    mount = simulator_factory(speed=1.0)[1].mount  # a slew of several real seconds
    mount.unpark()
    mount.slew(*UP, wait=False)
    time.sleep(0.2)
    mount.abort()
    stopped = mount.status()
    assert not stopped.slewing
    assert (stopped.ra, stopped.dec) != pytest.approx(UP, abs=1e-3)


def test_dome_shutter_and_rotation(simulator_factory):
    dome = simulator_factory(speed=10.0)[1].dome  # 30 s of shutter: 3 s of wall time
    assert dome.status().shutter == ShutterState.CLOSED
    dome.open(wait=False)
    assert dome.status().shutter == ShutterState.OPENING
    dome.open(timeout=60)
    assert dome.status().shutter == ShutterState.OPEN
    dome.goto_azimuth(90, timeout=60)
    assert dome.status().azimuth == pytest.approx(90)
    dome.close(timeout=60)
    assert dome.status().shutter == ShutterState.CLOSED


def test_filters_and_focuser(observatory):
    wheel = observatory.filter_wheels["VIS"]
    assert wheel.filters[:3] == ["Clear", "g", "r"]
    wheel.set_filter("r")
    assert wheel.status().filter == "r" and wheel.status().position == 2
    with pytest.raises(DeviceRefused, match="no filter 'J'"):
        wheel.set_filter("J")
    focuser = next(iter(observatory.focusers.values()))
    focuser.move_to(26_000)
    focuser.move_by(-500)
    assert focuser.status().position == 25_500


def test_camera_cooler(observatory):
    camera = observatory.cameras["VIS"]
    camera.set_cooler(-20.0)
    time.sleep(0.5)  # 25 s simulated: part of the way
    status = camera.status()
    assert status.cooler_setpoint == -20.0 and -20.0 < status.ccd_temperature < 15.0
    assert status.cooler_power == 100.0  # pulling down at its rate
    assert status.state == CameraState.IDLE


def test_a_silent_device_times_out_and_a_dropped_one_reconnects(simulator_factory):
    _, devices = simulator_factory([
        {"at": 0, "device": "dome", "fault": "silent", "duration": 1.0},
        {"at": 0, "device": "focuser", "fault": "disconnect", "duration": 1.0},
    ])
    started = time.monotonic()
    with pytest.raises(DeviceTimeout, match=r"dome: status: no answer within 0\.3 s"):
        devices.dome.status(timeout=0.3)
    assert time.monotonic() - started < 10.0  # its timeout, not for ever
    focuser = next(iter(devices.focusers.values()))
    with pytest.raises(DeviceDisconnected, match="focuser"):
        focuser.status()
    time.sleep(1.1)
    assert devices.dome.status().connected and focuser.status().connected


def test_a_stuck_shutter_is_reported(simulator_factory):
    _, devices = simulator_factory([
        {"at": 0, "device": "dome", "fault": "stuck_shutter", "duration": 60}])
    with pytest.raises(DeviceTimeout, match="the shutter's open not finished within 1 s"):
        devices.dome.open(timeout=1)
    assert devices.dome.status().shutter == ShutterState.OPENING


def test_unreachable_devices_are_disconnected(simulated_clock):
    from pyros.devices.factory import build_devices
    from tests.devices.conftest import unit_on_free_ports

    devices = build_devices(unit_on_free_ports())  # nothing listens there
    with pytest.raises(DeviceDisconnected, match="cannot connect"):
        devices.mount.status(timeout=1)


def test_an_exposure_is_a_fits_file_centred_on_the_pointing(observatory, tmp_path):
    from astropy.io import fits
    from astropy.wcs import WCS

    mount, camera = observatory.mount, observatory.cameras["VIS"]
    observatory.filter_wheels["VIS"].set_filter("r")
    mount.unpark()
    mount.slew(*UP)
    path = camera.expose(30.0, tmp_path / "m.fits", object_name="test field")  # 0.7 s at 50x
    assert camera.status().last_image == str(path)
    with fits.open(path) as hdus:
        header, data = hdus[0].header, hdus[0].data
        assert data.shape == (2048, 2048)
        assert header["FILTER"] == "r" and header["EXPTIME"] == 30.0
        assert header["IMAGETYP"].upper().startswith("LIGHT")
        centre = WCS(header).pixel_to_world((2048 - 1) / 2, (2048 - 1) / 2)
        assert centre.ra.deg == pytest.approx(UP[0], abs=1 / 3600)
        assert centre.dec.deg == pytest.approx(UP[1], abs=1 / 3600)
        assert data.max() > data.mean() + 1000, "stars stand out of the sky"
    binned = camera.expose(0.0, tmp_path / "bias.fits", frame_type="BIAS", binning=2)
    with fits.open(binned) as hdus:
        assert hdus[0].data.shape == (1024, 1024)
