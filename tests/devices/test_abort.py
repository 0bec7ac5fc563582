"""abort() from another thread ends a blocked expose, slew or shutter motion at once with
ExposureAborted or MotionAborted, and spoils nothing for the next call: the sim backend
against the simulator, and the INDI backend against Debian's simulators."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from pyros.devices.errors import ExposureAborted, MotionAborted
from pyros.devices.interfaces import CameraState, ShutterState
from tests.devices.conftest import SPEED

UP = (150.0, 20.0)  # high in the east at TEST_NOW
FAR = (200.0, 30.0)  # 75 degrees of RA from the park position: a long slew
#: Wall seconds between the end of abort() and the blocked call raising: "at once" on a
#: busy machine too; every motion aborted here would last longer.
PROMPT = 5.0


@pytest.fixture
def later() -> Iterator[Callable[[float, Callable[[], None]], Future[float]]]:
    """Run a call in another thread after a delay; its future gives when it ended."""
    with ThreadPoolExecutor(max_workers=1) as pool:

        def run(delay: float, call: Callable[[], None]) -> Future[float]:
            def delayed() -> float:
                time.sleep(delay)
                call()
                return time.monotonic()
            return pool.submit(delayed)

        yield run


def raised_promptly(aborted: Future[float]) -> None:
    raised = time.monotonic()
    assert raised - aborted.result(timeout=5) < PROMPT


# --- sim backend: camera --------------------------------------------------------------


def test_abort_ends_a_blocked_exposure_and_the_next_one_works(observatory, tmp_path, later):
    camera = observatory.cameras["VIS"]
    aborted = later(0.3, camera.abort)
    with pytest.raises(ExposureAborted, match=f"{camera.name}: the exposure was aborted"):
        camera.expose(3000.0, tmp_path / "long.fits")  # a minute of wall time at 50x
    raised_promptly(aborted)
    assert not (tmp_path / "long.fits").exists()
    assert camera.status().state == CameraState.IDLE
    path = camera.expose(1.0, tmp_path / "next.fits")
    assert path.exists() and camera.status().last_image == str(path)


def test_aborts_before_and_after_an_exposure_spoil_nothing(observatory, tmp_path):
    camera = observatory.cameras["VIS"]
    camera.abort()
    first = camera.expose(1.0, tmp_path / "first.fits")
    camera.abort()
    second = camera.expose(1.0, tmp_path / "second.fits")
    assert first.exists() and second.exists()


def test_an_aborted_exposure_to_an_existing_file_is_not_taken_for_done(
        observatory, tmp_path, later):
    """The previous image at the same path must not pass for the aborted one."""
    camera = observatory.cameras["VIS"]
    path = camera.expose(1.0, tmp_path / "same.fits")
    aborted = later(0.3, camera.abort)
    with pytest.raises(ExposureAborted):
        camera.expose(3000.0, path)
    raised_promptly(aborted)
    assert camera.expose(1.0, path) == path


def test_an_abort_near_the_readout_never_leaves_a_file_behind(observatory, tmp_path, later):
    """Aborted during the readout or the writing: ExposureAborted and no file; too late:
    the image, whole. Never a file with ExposureAborted, never success without one."""
    camera = observatory.cameras["VIS"]
    readout = camera.channel.readout_time / SPEED
    for n, delay in enumerate((readout / 2, readout + 0.05, readout + 0.2)):
        path = tmp_path / f"bias{n}.fits"
        aborted = later(delay, camera.abort)
        try:
            camera.expose(0.0, path, frame_type="BIAS")
        except ExposureAborted:
            aborted.result(timeout=5)
            assert not path.exists()
        else:
            aborted.result(timeout=5)
            assert path.exists()


# --- sim backend: mount and dome ------------------------------------------------------


def test_abort_ends_a_blocked_slew_and_the_next_slew_arrives(simulator_factory, later):
    mount = simulator_factory(speed=1.0)[1].mount  # the slew to FAR lasts ~7 s of wall
    mount.abort()  # an abort before the slew changes nothing
    mount.unpark()
    aborted = later(0.3, mount.abort)
    with pytest.raises(MotionAborted, match="mount: the slew was aborted"):
        mount.slew(*FAR)
    raised_promptly(aborted)
    stopped = mount.status()
    assert not stopped.slewing
    assert (stopped.ra, stopped.dec) != pytest.approx(FAR, abs=1e-3)
    mount.slew(*UP)
    arrived = mount.status()
    assert (arrived.ra, arrived.dec) == pytest.approx(UP, abs=1e-6)
    aborted = later(0.2, mount.abort)
    with pytest.raises(MotionAborted, match="parking was aborted"):
        mount.park()
    raised_promptly(aborted)
    assert not mount.status().parked


def test_abort_ends_a_blocked_shutter_motion(simulator_factory, later):
    dome = simulator_factory(speed=5.0)[1].dome  # the shutter takes 6 s of wall time
    aborted = later(0.2, dome.abort)
    with pytest.raises(MotionAborted, match="dome: the shutter's open was aborted"):
        dome.open(timeout=60)
    raised_promptly(aborted)
    assert dome.status().shutter == ShutterState.UNKNOWN
    dome.close(timeout=60)
    assert dome.status().shutter == ShutterState.CLOSED


# --- INDI backend ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def indi(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    """An indiserver of our own (see tests/devices/indi) and a client to it."""
    if shutil.which("indiserver") is None:
        pytest.skip("indiserver is not installed (Debian package indi-bin)")
    from pyros.devices.indi.client import IndiClient
    from tests.devices.indi.conftest import NamespacedIndiserver

    server = NamespacedIndiserver(tmp_path_factory.mktemp("indi-abort"))
    client = IndiClient(unix_path=server.socket)
    yield server, client
    client.close()
    server.stop()


def test_indi_abort_ends_a_blocked_exposure(indi, tmp_path: Path, later) -> None:
    from pyros.devices.indi.camera import IndiCamera

    server, client = indi
    camera = IndiCamera("camera", client.device(server.device("camera"), "camera"),
                        readout_time=5.0)
    camera.connect()
    aborted = later(1.0, camera.abort)
    with pytest.raises(ExposureAborted, match="camera: the exposure was aborted"):
        camera.expose(30.0, tmp_path / "long.fits")
    raised_promptly(aborted)
    assert not (tmp_path / "long.fits").exists()
    assert camera.expose(0.5, tmp_path / "next.fits").exists()


def test_indi_abort_ends_a_blocked_slew(indi, later) -> None:
    from pyros import astro
    from pyros.clock import RealClock
    from pyros.config.schema import Site
    from pyros.devices.indi.devices import IndiMount
    from pyros.devices.interfaces import MountCapabilities

    server, client = indi
    site = Site(name="Test site", latitude=45.0, longitude=5.0, elevation=300.0)
    wall = RealClock()  # the INDI simulator's
    mount = IndiMount("mount", client.device(server.device("mount"), "mount"), site,
                      MountCapabilities(5.0, 5.0, 1.0, 15.0, 6.0), clock=wall)
    mount.connect()
    mount.unpark()
    where = astro.location(site.latitude, site.longitude, site.elevation)
    zenith_ra = astro.hour_angle(0.0, wall.now(), where) * 15.0 % 360.0
    aborted = later(1.0, mount.abort)
    with pytest.raises(MotionAborted, match="mount: the slew was aborted"):
        mount.slew(zenith_ra, 45.0, timeout=60)  # from the pole: 45 degrees away
    raised_promptly(aborted)
    assert not mount.status().slewing
