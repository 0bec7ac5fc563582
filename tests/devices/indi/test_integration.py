"""The ``indi`` backend against Debian's simulators (package ``indi-bin``).

How the tests reach indiserver without exposing it: indiserver cannot be told to listen
on loopback only, so it runs in a network namespace of its own that has nothing but
``lo`` (``unshare --net``, or ``unshare --user --map-root-user --net`` when not root),
with a throw-away HOME for the drivers' configuration files. Its own local socket is
abstract, and abstract sockets belong to the namespace, so the helper
``netns_indiserver.py`` also runs inside it and relays a filesystem unix socket in the
test's temporary directory to 127.0.0.1:7624 there. The test process stays outside and
connects with ``IndiClient(unix_path=...)``: everything above the socket (parsing,
waiting, reconnection, BLOB streaming) is what production runs over TCP. The helper kills
and restarts indiserver on request, for the reconnection test.

The tests share one server and run in file order; the last one kills indiserver. The
mount uses the wall clock, since the simulator does; the suite's simulated clock only
stamps statuses. Skipped only when indiserver is not installed.
"""

from __future__ import annotations

import concurrent.futures
import select
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits

from pyros import astro
from pyros.clock import RealClock
from pyros.config.schema import Channel, Site
from pyros.devices.errors import DeviceDisconnected, DeviceError, DeviceRefused
from pyros.devices.indi.camera import IndiCamera
from pyros.devices.indi.client import DeviceLink, IndiClient, NewValues, Property
from pyros.devices.indi.devices import (
    IndiDome,
    IndiFilterWheel,
    IndiFocuser,
    IndiMount,
    IndiWeatherStation,
    eod_to_icrs,
)
from pyros.devices.indi.headers import Companions
from pyros.devices.indi.protocol import State
from pyros.devices.indi.watchdog import IndiWatchdog
from pyros.devices.interfaces import (
    CameraState,
    FrameType,
    MountCapabilities,
    Region,
    ShutterState,
)
from tests.devices.indi.conftest import NamespacedIndiserver

SITE = Site(name="Test site", latitude=45.0, longitude=5.0, elevation=300.0)
LIMITS = MountCapabilities(slew_rate_ra=5.0, slew_rate_dec=5.0, settle_time=1.0,
                           min_altitude=15.0, max_hour_angle=6.0)
WHERE = astro.location(SITE.latitude, SITE.longitude, SITE.elevation)
WALL = RealClock()
#: The channel as a user would configure it for the CCD simulator.
CHANNEL = Channel(name="VIS", detector="sim", camera="camera", filter_wheel="wheel",
                  width=1280, height=1024, pixel_scale=1.19, pixel_size=5.2,
                  readout_time=5.0, filters=["Red", "Green", "Blue", "H_Alpha"])


def until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} not seen within {timeout} s"
        time.sleep(0.1)


def at_hour_angle(hours: float) -> float:
    """The ICRS right ascension now at ``hours`` of hour angle (degrees)."""
    return (astro.hour_angle(0.0, WALL.now(), WHERE) - hours) * 15.0 % 360.0


def separation(ra1: float, dec1: float, ra2: float, dec2: float) -> float:
    """Degrees between two ICRS positions."""
    return float(SkyCoord(ra1 * u.deg, dec1 * u.deg).separation(
        SkyCoord(ra2 * u.deg, dec2 * u.deg)).deg)


class RecordingLink(DeviceLink):
    """A link that notes every order, to prove that a refused slew sent nothing."""

    def __init__(self, link: DeviceLink) -> None:
        super().__init__(link.client, link.indi_device, link.label)
        self.orders: list[str] = []

    def set(self, name: str, values: NewValues, **kwargs: object) -> Property:  # type: ignore[override]
        self.orders.append(name)
        return super().set(name, values, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def client(indiserver: NamespacedIndiserver) -> Iterator[IndiClient]:
    client = IndiClient(unix_path=indiserver.socket)
    yield client
    client.close()


@pytest.fixture(scope="module")
def mount(indiserver: NamespacedIndiserver, client: IndiClient) -> IndiMount:
    link = client.device(indiserver.device("mount"), "mount")
    return IndiMount("mount", link, SITE, LIMITS, clock=WALL, pointing_tolerance=5.0)


@pytest.fixture(scope="module")
def dome(indiserver: NamespacedIndiserver, client: IndiClient) -> IndiDome:
    return IndiDome("dome", client.device(indiserver.device("dome"), "dome"))


@pytest.fixture(scope="module")
def camera(indiserver: NamespacedIndiserver, client: IndiClient, mount: IndiMount,
           wheel: IndiFilterWheel, focuser: IndiFocuser) -> IndiCamera:
    snoop = {"ACTIVE_TELESCOPE": mount.link.indi_device,
             "ACTIVE_FILTER": wheel.link.indi_device,
             "ACTIVE_FOCUSER": focuser.link.indi_device}
    return IndiCamera("camera", client.device(indiserver.device("camera"), "camera"),
                      readout_time=5.0, channel=CHANNEL, snoop=snoop,
                      companions=Companions(mount, wheel, focuser))


@pytest.fixture(scope="module")
def wheel(indiserver: NamespacedIndiserver, client: IndiClient) -> IndiFilterWheel:
    return IndiFilterWheel("wheel", client.device(indiserver.device("wheel"), "wheel"),
                           expected=CHANNEL.filters)


@pytest.fixture(scope="module")
def focuser(indiserver: NamespacedIndiserver, client: IndiClient) -> IndiFocuser:
    return IndiFocuser("focuser", client.device(indiserver.device("focuser"), "focuser"))


@pytest.fixture(scope="module")
def weather(indiserver: NamespacedIndiserver, client: IndiClient) -> IndiWeatherStation:
    return IndiWeatherStation("weather", client.device(indiserver.device("weather"),
                                                       "weather"))


# --- mount ----------------------------------------------------------------------------


def driver_position(indiserver: NamespacedIndiserver, mount: IndiMount) -> tuple[float, float]:
    """The mount's position as its driver reports it to indi_getprop (ICRS degrees)."""
    device = mount.link.indi_device
    values = indiserver.getprop(f"{device}.EQUATORIAL_EOD_COORD.*")
    return eod_to_icrs(float(values[f"{device}.EQUATORIAL_EOD_COORD.RA"]),
                       float(values[f"{device}.EQUATORIAL_EOD_COORD.DEC"]), WALL.now())


def test_the_first_status_after_connecting_is_the_drivers(
        indiserver: NamespacedIndiserver, mount: IndiMount) -> None:
    # The driver defines its position as a placeholder (0h, 0 deg) on connecting, then
    # sends where it is (the pole): the first status must be the latter.
    status = mount.status(timeout=15)
    ra, dec = driver_position(indiserver, mount)
    assert status.dec == pytest.approx(dec, abs=1 / 3600)
    assert status.dec > 89.0
    # An untracked mount's right ascension follows the sky (at the pole it hardly moves).
    assert separation(status.ra, status.dec, ra, dec) < 5 / 3600


def test_connecting_the_mount_gives_it_the_site_and_time(mount: IndiMount) -> None:
    mount.connect(timeout=15)
    location = mount.link.get("GEOGRAPHIC_COORD", 5)
    assert location.values == {"LAT": 45.0, "LONG": 5.0, "ELEV": 300.0}
    assert mount.link.get("TIME_UTC", 5).state is State.OK
    assert mount.status().connected


def test_a_slew_reads_back_in_icrs(indiserver: NamespacedIndiserver, mount: IndiMount) -> None:
    # Near the simulator's start (the pole, counterweight down): a short slew.
    ra, dec = at_hour_angle(-5.5), 80.0
    mount.slew(ra, dec, timeout=60)
    status = mount.status()
    assert mount.last_miss is not None and mount.last_miss < 5.0  # arcseconds
    assert separation(status.ra, status.dec, ra, dec) < 5 / 3600
    assert separation(*driver_position(indiserver, mount), status.ra, status.dec) < 1 / 3600
    device = mount.link.indi_device
    assert indiserver.getprop(f"{device}.TELESCOPE_TRACK_STATE.TRACK_ON")[
        f"{device}.TELESCOPE_TRACK_STATE.TRACK_ON"] == "On"
    assert (status.slewing, status.tracking, status.parked, status.at_limit) == \
        (False, True, False, False)
    assert status.ha == pytest.approx(-5.5, abs=0.05)
    alt, az = astro.altaz(ra, dec, WALL.now(), WHERE)
    assert (status.alt, status.az) == (pytest.approx(alt, abs=0.1), pytest.approx(az, abs=0.1))


def test_a_long_slew_ends_on_target_and_a_miss_is_an_error(
        indiserver: NamespacedIndiserver, mount: IndiMount) -> None:
    ra, dec = at_hour_angle(-2.0), 50.0
    mount.slew(ra, dec, timeout=120)
    assert mount.last_miss is not None and mount.last_miss < 5.0
    assert separation(*driver_position(indiserver, mount), ra, dec) < 5 / 3600
    strict = IndiMount("mount", mount.link, SITE, LIMITS, clock=WALL,
                       pointing_tolerance=1e-4)
    with pytest.raises(DeviceError, match=r"the slew ended [0-9.]+\" from the target"):
        strict.slew(at_hour_angle(-5.5), 80.0, timeout=120)


def test_a_target_below_the_horizon_is_refused_without_sending_it(mount: IndiMount) -> None:
    recording = IndiMount("mount", RecordingLink(mount.link), SITE, LIMITS, clock=WALL)
    target_before = mount.link.get("TARGET_EOD_COORD", 5).values
    with pytest.raises(DeviceRefused, match="below the horizon"):
        recording.slew(at_hour_angle(0.0), -80.0)
    with pytest.raises(DeviceRefused, match="hour angle"):
        recording.slew(at_hour_angle(-7.0), 80.0)
    assert recording.link.orders == []  # type: ignore[attr-defined]
    assert mount.link.get("TARGET_EOD_COORD", 5).values == target_before
    assert not mount.status().slewing


def test_park_and_unpark(indiserver: NamespacedIndiserver, mount: IndiMount) -> None:
    def driver_park() -> tuple[str, str, str]:
        values = indiserver.getprop("Telescope Simulator.TELESCOPE_PARK.PARK",
                                    "Telescope Simulator.TELESCOPE_PARK._STATE",
                                    "Telescope Simulator.TELESCOPE_TRACK_STATE.TRACK_ON")
        return (values["Telescope Simulator.TELESCOPE_PARK.PARK"],
                values["Telescope Simulator.TELESCOPE_PARK._STATE"],
                values["Telescope Simulator.TELESCOPE_TRACK_STATE.TRACK_ON"])

    # A park position next to where the mount is keeps the test short.
    mount.link.set("TELESCOPE_PARK_POSITION", {"PARK_HA": -5.3, "PARK_DEC": 79.0},
                   timeout=5, echoes=False)
    mount.park(timeout=60)
    status = mount.status()
    assert (status.parked, status.slewing, status.tracking) == (True, False, False)
    assert driver_park() == ("On", "Ok", "Off")
    with pytest.raises(DeviceError, match=r"EQUATORIAL_EOD_COORD refused: .*unpark"):
        mount.slew(at_hour_angle(-5.5), 80.0, timeout=10)
    mount.unpark()
    assert not mount.status().parked
    assert driver_park()[0] == "Off"


def test_abort_stops_a_slew(indiserver: NamespacedIndiserver, mount: IndiMount) -> None:
    ra, dec = at_hour_angle(0.0), 45.0  # the zenith: a long way from the pole
    mount.slew(ra, dec, wait=False)
    assert mount.status().slewing
    time.sleep(1.0)
    mount.abort()
    stopped = mount.status()
    assert not stopped.slewing
    assert separation(stopped.ra, stopped.dec, ra, dec) > 5.0
    time.sleep(0.5)
    still = mount.status()
    assert separation(still.ra, still.dec, stopped.ra, stopped.dec) < 0.05
    assert separation(*driver_position(indiserver, mount), still.ra, still.dec) < 0.05
    assert indiserver.state("Telescope Simulator", "EQUATORIAL_EOD_COORD") != "Busy"


# --- dome, filter wheel, focuser ------------------------------------------------------


def driver(indiserver: NamespacedIndiserver, device: str, element: str) -> str:
    """One value as the driver reports it to indi_getprop."""
    return indiserver.getprop(f"{device}.{element}")[f"{device}.{element}"]


def test_the_dome_opens_turns_and_closes(indiserver: NamespacedIndiserver,
                                         dome: IndiDome) -> None:
    assert not dome.is_rolloff
    name = dome.link.indi_device
    dome.open(timeout=30)
    assert dome.status().shutter is ShutterState.OPEN
    assert driver(indiserver, name, "DOME_SHUTTER.SHUTTER_OPEN") == "On"
    dome.goto_azimuth(40.0, timeout=30)
    assert dome.status().azimuth == pytest.approx(40.0)
    assert float(driver(indiserver, name, "ABS_DOME_POSITION.DOME_ABSOLUTE_POSITION")) == \
        pytest.approx(dome.status().azimuth)
    # Parking closes the shutter (the watchdog relies on it).
    assert driver(indiserver, name, "DOME_SHUTTER_PARK_POLICY.SHUTTER_CLOSE_ON_PARK") == "On"
    dome.close(wait=False)
    assert dome.status().shutter is ShutterState.CLOSING
    until(lambda: dome.status().shutter is ShutterState.CLOSED, 15, "the shutter closed")
    assert driver(indiserver, name, "DOME_SHUTTER.SHUTTER_CLOSE") == "On"
    with pytest.raises(DeviceRefused):
        dome.goto_azimuth(400.0)


def test_a_filter_is_chosen_by_name(indiserver: NamespacedIndiserver,
                                    wheel: IndiFilterWheel) -> None:
    assert wheel.filters[:4] == ["Red", "Green", "Blue", "H_Alpha"]
    wheel.set_filter("H_Alpha")
    status = wheel.status()
    assert (status.position, status.filter, status.moving) == (3, "H_Alpha", False)
    assert driver(indiserver, wheel.link.indi_device, "FILTER_SLOT.FILTER_SLOT_VALUE") == "4"
    with pytest.raises(DeviceRefused, match="no filter 'V'"):
        wheel.set_filter("V")


def test_a_wheel_without_the_configured_filters_is_an_error(wheel: IndiFilterWheel) -> None:
    wrong = IndiFilterWheel("wheel", wheel.link, expected=["Red", "V", "Ic"])
    with pytest.raises(DeviceError, match=r"wheel: Filter Simulator has no filter V, Ic "
                                          r"\(its filters: Red, Green"):
        wrong.status()


def test_the_focuser_moves_to_and_by(indiserver: NamespacedIndiserver,
                                     focuser: IndiFocuser) -> None:
    def driver_position() -> int:
        return int(float(driver(indiserver, focuser.link.indi_device,
                                "ABS_FOCUS_POSITION.FOCUS_ABSOLUTE_POSITION")))

    focuser.move_to(42000)
    assert focuser.status().position == 42000 == driver_position()
    focuser.move_by(1000)
    assert focuser.status().position == 43000 == driver_position()
    focuser.move_by(-500)
    assert focuser.status().position == 42500 == driver_position()
    with pytest.raises(DeviceRefused, match="outside"):
        focuser.move_to(10_000_000)


# --- camera ---------------------------------------------------------------------------


def test_an_exposure_arrives_as_a_fits_file(camera: IndiCamera, tmp_path: Path) -> None:
    path = tmp_path / "night" / "dark.fits"
    result = camera.expose(1.0, path, frame_type=FrameType.DARK, binning=2,
                           region=Region(100, 80, 320, 240), object_name="M42")
    assert result == path.resolve()
    with fits.open(path) as hdus:
        assert hdus[0].data.shape == (120, 160)
        header = hdus[0].header
        assert (header["EXPTIME"], header["XBINNING"], header["FRAME"], header["OBJECT"]) == \
            (1.0, 2, "Dark", "M42")
    assert sorted(p.name for p in path.parent.iterdir()) == ["dark.fits"]
    status = camera.status()
    assert (status.state, status.last_image) == (CameraState.IDLE, str(path.resolve()))


def test_the_header_shows_the_units_filter_pointing_and_focus(
        indiserver: NamespacedIndiserver, camera: IndiCamera, mount: IndiMount,
        wheel: IndiFilterWheel, focuser: IndiFocuser, tmp_path: Path) -> None:
    wheel.set_filter("H_Alpha")
    focuser.move_to(41234)
    path = camera.expose(0.2, tmp_path / "light.fits", binning=4)
    snooped = indiserver.getprop(f"{camera.link.indi_device}.ACTIVE_DEVICES.*")
    prefix = f"{camera.link.indi_device}.ACTIVE_DEVICES."
    assert (snooped[prefix + "ACTIVE_TELESCOPE"], snooped[prefix + "ACTIVE_FILTER"],
            snooped[prefix + "ACTIVE_FOCUSER"]) == \
        ("Telescope Simulator", "Filter Simulator", "Focuser Simulator")
    pointing = mount.status()
    with fits.open(path) as hdus:
        header = hdus[0].header
    assert header["FILTER"] == "H_Alpha" == driver(
        indiserver, "Filter Simulator", "FILTER_NAME.FILTER_SLOT_NAME_4")
    assert header["FOCUSPOS"] == 41234
    assert separation(header["RA"], header["DEC"], pointing.ra, pointing.dec) < 60 / 3600
    assert camera.last_corrections == []  # the driver snooped the right devices

    # A driver left snooping its own default wheel (what it does unless told): PyROS
    # writes the filter the wheel holds, and says so in the header.
    misled = IndiCamera("camera", camera.link, readout_time=5.0, channel=CHANNEL,
                        snoop={"ACTIVE_FILTER": "CCD Simulator"},
                        companions=Companions(mount, wheel, focuser))
    try:
        path = misled.expose(0.2, tmp_path / "misled.fits", binning=4)
    finally:
        camera.connect()  # points the driver at the unit's wheel again
    with fits.open(path) as hdus:
        header = hdus[0].header
    assert header["FILTER"] == "H_Alpha"
    assert [c.split(":")[0] for c in misled.last_corrections] == ["FILTER"]
    assert any("PyROS corrected FILTER: 'Red' -> 'H_Alpha'" in str(card)
               for card in header["HISTORY"])


def test_a_sensor_unlike_the_configuration_is_an_error(camera: IndiCamera) -> None:
    wrong = IndiCamera("camera", camera.link, channel=CHANNEL.model_copy(
        update={"width": 2048, "height": 2048, "pixel_size": 9.0}))
    with pytest.raises(DeviceError, match=r"CCD Simulator does not match channel VIS: the "
                                          r"sensor is 1280x1024 pixels, the channel says "
                                          r"2048x2048; its pixels are 5.20 .m, the channel "
                                          r"says 9 .m"):
        wrong.status()


def test_the_cooler(camera: IndiCamera) -> None:
    camera.set_cooler(-10.0)
    assert camera.status().cooler_setpoint == -10.0
    until(lambda: camera.status().ccd_temperature < 0.0, 5, "the sensor cooling")
    camera.set_cooler(None)
    assert camera.status().cooler_setpoint is None
    with pytest.raises(DeviceRefused):
        camera.set_cooler(-100.0)


# --- weather station ------------------------------------------------------------------


def test_weather_readings_and_verdict(indiserver: NamespacedIndiserver,
                                     weather: IndiWeatherStation) -> None:
    # WEATHER_CONTROL is the simulator's own panel: what its sensors will read.
    def conditions(temperature: float, rain: float) -> None:
        weather.link.set("WEATHER_CONTROL", {"Temperature": temperature, "Precip": rain},
                         timeout=5, echoes=False)
        weather.link.set("WEATHER_REFRESH", {"REFRESH": True}, timeout=5, echoes=False)
        until(lambda: readings()["WEATHER_TEMPERATURE"].value == temperature, 5,
              f"a temperature of {temperature}")

    def readings() -> dict:
        return {r.name: r for r in weather.status().readings}

    weather.connect()
    conditions(12.5, 0.0)
    temperature = readings()["WEATHER_TEMPERATURE"]
    assert (temperature.sensor, temperature.unit, temperature.valid) == \
        ("Weather Simulator", "C", True)
    assert readings()["WEATHER_RAIN_HOUR"].unit == "mm"
    assert weather.status().safe is True
    conditions(11.0, 10.0)
    assert readings()["WEATHER_RAIN_HOUR"].value == 10.0
    assert weather.status().safe is False
    driver = indiserver.getprop("Weather Simulator.WEATHER_PARAMETERS.*")
    assert {name.rsplit(".", 1)[1]: float(value) for name, value in driver.items()} == \
        {name: reading.value for name, reading in readings().items()}
    assert indiserver.state("Weather Simulator", "WEATHER_STATUS") == "Alert"
    conditions(12.5, 0.0)
    assert weather.status().safe is True


# --- the watchdog: INDI's WatchDog driver ---------------------------------------------

CHILD = Path(__file__).with_name("pyros_until_killed.py")


@pytest.fixture(scope="module")
def watchdog(indiserver: NamespacedIndiserver, client: IndiClient) -> IndiWatchdog:
    return IndiWatchdog("watchdog", client.device(indiserver.device("watchdog"), "watchdog"),
                        "Telescope Simulator", "Dome Simulator")


def unpark_everything(dome: IndiDome, mount: IndiMount, watchdog: IndiWatchdog) -> None:
    """Disarmed, and the dome and the mount unparked, for the tests that follow."""
    watchdog.arm(0)
    until(lambda: dome.link.get("DOME_PARK", 5).state is not State.BUSY, 60, "the dome parked")
    dome.link.set("DOME_PARK", {"UNPARK": True}, timeout=30)
    until(lambda: not mount.status().slewing, 60, "the mount parked")
    mount.unpark()


def test_killing_pyros_with_the_dome_open_closes_it_and_parks_the_mount(
        indiserver: NamespacedIndiserver, dome: IndiDome, mount: IndiMount,
        watchdog: IndiWatchdog) -> None:
    indiserver.device("watchdog")
    period = 5.0
    child = subprocess.Popen([sys.executable, str(CHILD), indiserver.socket, str(period)],
                             stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[3])
    try:
        assert child.stdout is not None
        ready, _, _ = select.select([child.stdout], [], [], 90.0)
        assert ready and child.stdout.readline().strip() == "armed"
        time.sleep(2 * period)  # heartbeats keep the dome open well past the period
        assert driver(indiserver, "Dome Simulator", "DOME_SHUTTER.SHUTTER_OPEN") == "On"
        assert driver(indiserver, "WatchDog", "WATCHDOG_Trigger.TRIGGER_CLIENT") == "On"
        assert driver(indiserver, "WatchDog", "WATCHDOG_HEARTBEAT.WATCHDOG_HEARTBEAT_VALUE") \
            == "5"
    finally:
        child.kill()  # SIGKILL: PyROS gets no chance to close anything
        child.wait()

    def closed_and_parked() -> bool:
        values = indiserver.getprop("Dome Simulator.DOME_SHUTTER.SHUTTER_CLOSE",
                                    "Dome Simulator.DOME_SHUTTER._STATE",
                                    "Dome Simulator.DOME_PARK.PARK",
                                    "Dome Simulator.DOME_PARK._STATE",
                                    "Telescope Simulator.TELESCOPE_PARK.PARK",
                                    "Telescope Simulator.TELESCOPE_PARK._STATE")
        return set(values.values()) == {"On", "Ok"}

    until(closed_and_parked, 90, "the dome closed and parked, the mount parked")
    # PyROS, connected again, reads the same.
    assert (dome.status().shutter, dome.status().parked) == (ShutterState.CLOSED, True)
    assert mount.status().parked
    unpark_everything(dome, mount, watchdog)


def test_a_watchdog_left_without_heartbeat_is_seen_tripping(
        dome: IndiDome, mount: IndiMount, watchdog: IndiWatchdog) -> None:
    watched = IndiDome("dome", dome.link, watchdog=watchdog)
    assert watched.has_watchdog and not dome.has_watchdog
    watched.open(timeout=60)
    assert watched.status().watchdog_tripped_at is None
    watched.arm_watchdog(2.0)
    until(lambda: watched.status().shutter is ShutterState.CLOSED, 60, "the shutter closed")
    assert watched.status().watchdog_tripped
    unpark_everything(dome, mount, watchdog)


# --- losing indiserver (last: it kills the server) ------------------------------------


def test_losing_indiserver_and_finding_it_again(
        indiserver: NamespacedIndiserver, mount: IndiMount, dome: IndiDome,
        focuser: IndiFocuser, camera: IndiCamera, tmp_path: Path) -> None:
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        opening = pool.submit(dome.open, timeout=30)  # takes ~6 s in the simulator
        time.sleep(1.0)
        started = time.monotonic()
        indiserver.kill()
        with pytest.raises(DeviceDisconnected, match="dome: lost indiserver"):
            opening.result(timeout=20)
        assert time.monotonic() - started < 15.0  # the loss noticed, not the 30 s timeout
    with pytest.raises(DeviceDisconnected):
        focuser.status(timeout=3)

    indiserver.start()
    # The next calls reconnect, connect the restarted drivers and set them up again.
    assert focuser.status(timeout=15).connected
    assert mount.status(timeout=15).connected
    assert mount.link.get("GEOGRAPHIC_COORD", 5).values == \
        {"LAT": 45.0, "LONG": 5.0, "ELEV": 300.0}
    image = camera.expose(0.1, tmp_path / "after.fits", binning=4, timeout=30)
    with fits.open(image) as hdus:
        assert hdus[0].data.shape == (256, 320)
