"""Every device interface over the alpaca backend, end to end against our Alpaca
simulator (real HTTP on loopback): what each call does on the device, and what it
reports back."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from astropy.io import fits

from pyros import astro, clock
from pyros.devices.alpaca.accessories import AlpacaFilterWheel, AlpacaFocuser
from pyros.devices.alpaca.camera import AlpacaCamera
from pyros.devices.alpaca.devices import AlpacaDome, AlpacaMount, from_mount, to_mount
from pyros.devices.alpaca.weather import AlpacaObservingConditions, AlpacaSafetyMonitor
from pyros.devices.errors import DeviceRefused, ExposureAborted, MotionAborted
from pyros.devices.interfaces import CameraState, FrameType, Region, ShutterState


def high_in_the_east(unit) -> tuple[float, float]:
    """ICRS of altitude 60, azimuth 100 now: always reachable, whatever the hour."""
    site = unit.site
    return astro.radec_from_altaz(60.0, 100.0, clock.now(),
                                  astro.location(site.latitude, site.longitude, site.elevation))


def test_the_factory_builds_alpaca_devices_sharing_one_server(alpaca):
    devices = alpaca.devices
    assert isinstance(devices.mount, AlpacaMount)
    assert isinstance(devices.dome, AlpacaDome)
    assert isinstance(devices.cameras["VIS"], AlpacaCamera)
    assert isinstance(devices.filter_wheels["NIR"], AlpacaFilterWheel)
    assert isinstance(devices.focusers["focuser"], AlpacaFocuser)
    assert isinstance(devices.weather_stations["weather"], AlpacaObservingConditions)
    assert isinstance(devices.weather_stations["safety"], AlpacaSafetyMonitor)
    assert devices.mount.link.server is devices.cameras["NIR"].link.server
    assert (devices.cameras["NIR"].link.device_type, devices.cameras["NIR"].link.number) == \
        ("camera", 1)


def test_the_mount_unparks_slews_tracks_and_parks(alpaca):
    mount, telescope = alpaca.devices.mount, alpaca.simulator.device("telescope")
    assert mount.status().parked
    mount.unpark()
    ra, dec = high_in_the_east(alpaca.unit)
    mount.slew(ra, dec)
    status = mount.status()
    assert (status.ra, status.dec) == pytest.approx((ra, dec), abs=1e-4)
    assert status.alt == pytest.approx(60.0, abs=0.1) and status.az == pytest.approx(100, abs=0.2)
    assert status.tracking and not status.slewing and not status.parked
    # The mount speaks JNow (EquatorialSystem 1): what it holds is the converted position.
    assert telescope.ra.value() == pytest.approx(to_mount(ra, dec, 1, clock.now())[0], abs=1e-6)
    assert telescope.site["sitelatitude"] == alpaca.unit.site.latitude  # set at connection
    mount.track(False)
    assert not mount.status().tracking
    mount.park()
    assert mount.status().parked and not mount.status().tracking


@pytest.mark.parametrize("system", [2, 3, 4])
def test_other_equatorial_systems_round_trip(system):
    now = clock.now()
    ra_hours, dec = to_mount(123.4, -20.5, system, now)
    assert from_mount(ra_hours, dec, system, now) == pytest.approx((123.4, -20.5), abs=1e-6)


def test_a_slew_below_the_horizon_is_refused_before_reaching_the_mount(alpaca):
    mount = alpaca.devices.mount
    mount.unpark()
    site = alpaca.unit.site
    ra, dec = astro.radec_from_altaz(-30.0, 200.0, clock.now(), astro.location(
        site.latitude, site.longitude, site.elevation))
    with pytest.raises(DeviceRefused, match="below the horizon"):
        mount.slew(ra, dec)
    assert not mount.status().slewing


def test_an_abort_from_another_thread_ends_a_slew_promptly(alpaca_factory):
    observatory = alpaca_factory(speed=0.5)  # a slew of many seconds
    mount = observatory.devices.mount
    mount.unpark()
    ra, dec = high_in_the_east(observatory.unit)
    threading.Timer(0.5, mount.abort).start()
    started = time.monotonic()
    with pytest.raises(MotionAborted, match="the slew was aborted"):
        mount.slew(ra, dec)
    assert time.monotonic() - started < 10.0  # the exposure itself lasts 30 s
    assert not mount.status().slewing


def test_the_dome_opens_turns_follows_parks_and_closes(alpaca_factory):
    dome = alpaca_factory(speed=4.0).devices.dome  # a shutter of 1 s: seen OPENING
    assert not dome.is_rolloff
    assert dome.status().shutter is ShutterState.CLOSED
    dome.open(wait=False)
    assert dome.status().shutter is ShutterState.OPENING
    dome.open()
    assert dome.status().shutter is ShutterState.OPEN
    dome.goto_azimuth(120.0)
    assert dome.status().azimuth == pytest.approx(120.0)
    dome.follow(True)
    assert dome.status().following
    dome.park()
    status = dome.status()
    assert status.parked and status.azimuth == pytest.approx(0.0)
    dome.close()
    assert dome.status().shutter is ShutterState.CLOSED


def test_an_aborted_shutter_is_unknown_and_the_wait_says_aborted(alpaca_factory):
    dome = alpaca_factory(speed=0.5).devices.dome
    dome.connect()
    threading.Timer(0.4, dome.abort).start()
    with pytest.raises(MotionAborted, match="openshutter was aborted"):
        dome.open()
    assert dome.status().shutter is ShutterState.UNKNOWN


def test_a_rolloff_roof_has_no_azimuth(alpaca):
    roof = alpaca.simulator.device("dome")
    roof.rolloff = True
    dome = alpaca.devices.dome
    assert dome.is_rolloff and dome.status().azimuth is None
    with pytest.raises(DeviceRefused, match="roll-off roof cannot turn"):
        dome.goto_azimuth(10.0)


def test_an_exposure_arrives_as_fits_with_the_simulators_pixels(alpaca, tmp_path):
    camera = alpaca.devices.cameras["VIS"]
    path = camera.expose(1.0, tmp_path / "light.fits", object_name="M 42")
    assert path == tmp_path / "light.fits"
    with fits.open(path) as hdus:
        header, data = hdus[0].header, hdus[0].data
    sent = alpaca.simulator.device("camera", 0)._image
    assert data.shape == (192, 256) and (data == sent).all()
    assert (header["EXPTIME"], header["IMAGETYP"], header["OBJECT"]) == (1.0, "LIGHT", "M 42")
    assert data[96, 128] > 20_000 > np.median(data)  # the star is in the middle, not transposed
    assert camera.status().last_image == str(path)
    assert camera.status().state is CameraState.IDLE


def test_binning_and_a_region_give_the_binned_subframe(alpaca, tmp_path):
    camera = alpaca.devices.cameras["NIR"]
    path = camera.expose(0.1, tmp_path / "sub.fits", frame_type=FrameType.DARK, binning=2,
                         region=Region(x=16, y=8, width=64, height=32))
    header, data = fits.getheader(path), fits.getdata(path)
    assert data.shape == (16, 32)
    assert (header["XBINNING"], header["XORGSUBF"], header["IMAGETYP"]) == (2, 16, "DARK")
    frame = alpaca.simulator.device("camera", 1).frame
    assert (frame["startx"], frame["starty"], frame["numx"], frame["numy"]) == (8, 4, 32, 16)


def test_json_image_arrays_are_read_when_imagebytes_is_not_offered(alpaca, tmp_path,
                                                                  monkeypatch):
    from pyros.devices.alpaca import client

    monkeypatch.setattr(client, "IMAGEBYTES", "application/x-nothing")
    camera = alpaca.devices.cameras["VIS"]
    data = fits.getdata(camera.expose(0.1, tmp_path / "json.fits"))
    assert (data == alpaca.simulator.device("camera", 0)._image).all()


@pytest.mark.parametrize(("kwargs", "reason"), [
    ({"binning": 5}, "binning 5 is outside 1..4"),
    ({"region": Region(200, 0, 100, 10)}, "outside the 256x192 sensor"),
    ({"seconds": -1.0}, r"exposure time -1.0 s is not >= 0"),
])
def test_impossible_exposures_are_refused_before_reaching_the_camera(alpaca, tmp_path, kwargs,
                                                                     reason):
    arguments = {"seconds": 1.0, **kwargs}
    with pytest.raises(DeviceRefused, match=reason):
        alpaca.devices.cameras["VIS"].expose(path=tmp_path / "x.fits", **arguments)
    assert not (tmp_path / "x.fits").exists()


def test_an_aborted_exposure_writes_nothing(alpaca, tmp_path):
    camera = alpaca.devices.cameras["VIS"]
    camera.connect()  # an abort before the exposure begins has no effect on it
    threading.Timer(0.3, camera.abort).start()
    started = time.monotonic()
    with pytest.raises(ExposureAborted):
        camera.expose(600.0, tmp_path / "long.fits")
    assert time.monotonic() - started < 10.0  # the exposure itself lasts 30 s
    assert not (tmp_path / "long.fits").exists()
    assert camera.status().state is CameraState.IDLE


def test_the_cooler_is_set_and_switched_off(alpaca):
    camera, simulated = alpaca.devices.cameras["VIS"], alpaca.simulator.device("camera", 0)
    camera.set_cooler(-15.0)
    assert (simulated.cooler_on, simulated.setpoint) == (True, -15.0)
    status = camera.status()
    assert (status.cooler_setpoint, status.ccd_temperature) == (-15.0, -15.0)
    camera.set_cooler(None)
    assert not simulated.cooler_on and camera.status().cooler_setpoint is None


def test_the_filter_wheel_knows_the_drivers_names_and_turns(alpaca_factory):
    alpaca = alpaca_factory(speed=1.0)  # two slots in 1 s: seen moving
    wheel = alpaca.devices.filter_wheels["VIS"]
    assert wheel.filters == alpaca.unit.channel("VIS").filters
    wheel.set_filter("r", wait=False)
    assert wheel.status().moving
    wheel.set_filter("r")
    status = wheel.status()
    assert (status.filter, status.position, status.moving) == ("r", 2, False)
    with pytest.raises(DeviceRefused, match="no filter 'J'"):
        wheel.set_filter("J")


def test_the_focuser_moves_to_and_by(alpaca):
    focuser = alpaca.devices.focusers["focuser"]
    assert focuser.status().position == 25_000
    focuser.move_to(26_000)
    focuser.move_by(-500)
    assert (focuser.status().position, focuser.status().moving) == (25_500, False)
    with pytest.raises(DeviceRefused, match=r"outside 0\.\.50000"):
        focuser.move_to(60_000)


def test_weather_readings_and_the_safety_monitors_verdict(alpaca):
    conditions = alpaca.simulator.device("observingconditions")
    conditions.values["WindSpeed"] = 17.5
    conditions.values["Humidity"] = None  # no value yet: invalid, the rest still read
    weather = alpaca.devices.weather_stations["weather"].status()
    readings = {r.name: r for r in weather.readings}
    assert readings["WindSpeed"].value == 17.5 and readings["WindSpeed"].unit == "m/s"
    assert readings["Temperature"].unit == "Celsius"
    assert "StarFWHM" not in readings  # not implemented by the station: left out
    assert weather.safe is None
    alpaca.simulator.device("safetymonitor").safe = False
    verdict = alpaca.devices.weather_stations["safety"].status()
    assert verdict.safe is False and verdict.readings[0].value == 0.0
    alpaca.simulator.device("observingconditions").device_state = False
    again = alpaca.devices.weather_stations["weather"].status()  # member by member
    readings = {r.name: r for r in again.readings}
    assert readings["WindSpeed"].value == 17.5
    assert readings["Humidity"].value is None and not readings["Humidity"].valid


def test_a_relative_focuser_is_moved_by_steps_and_its_position_counted(alpaca):
    simulated = alpaca.simulator.device("focuser")
    simulated.absolute = False
    focuser = alpaca.devices.focusers["focuser"]
    assert focuser.status().position == 0  # counted from the connection
    focuser.move_by(300)
    focuser.move_to(100)
    assert focuser.status().position == 100
    assert simulated.position.value() == 25_100
