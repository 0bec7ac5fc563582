"""The executor against the simulated observatory (50 times faster than the wall clock):
pointing, channels in parallel, headers, interrupts and failures; then the FITS header
helpers on their own."""

from __future__ import annotations

import math
import re
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from pyros import astro, clock
from pyros.devices.interfaces import CameraState, FrameType
from pyros.majordome.calibrations import bias_and_darks
from pyros.majordome.conditions import ConditionsLog
from pyros.majordome.executor import Executor, image_path
from pyros.majordome.fits_headers import add_headers, airmass_pickering, fits_time
from pyros.majordome.work import (
    ChannelWork,
    Exposures,
    ImageTaken,
    Outcome,
    Pointing,
    SequenceWork,
    WorkKind,
)
from tests.conftest import TEST_NOW
from tests.devices.conftest import SPEED
from tests.waiting import wait_until

# At TEST_NOW (2026-11-21 12:00 UTC) the local sidereal time is about 125 deg and the
# mount, unparked, points at altitude 89 deg, azimuth 0 (RA 125, Dec +32).
UP = (150.0, 20.0)  # altitude 65 deg in the east
FAR = (195.0, 45.0)  # altitude 35 deg in the north-east: 70 deg of RA from the park
DOWN = (300.0, -60.0)  # under the horizon
CONTEXT = {"WXRAIN": 0.0, "WXWIND": 3.1, "WXHUMID": 40.0, "WXTEMP": 5.0,
           "DOMESHUT": "OPEN", "SAFETY": "OK"}
#: Simulated seconds of an exposure that a prompt stop never waits for, and its wall time.
LONG = 600.0
LONG_WALL = LONG / SPEED
NAME = re.compile(r"^\d{8}T\d{6}\.\d{3}Z_(VIS|NIR)_sequence-12_\d-\d\.fits$")


def science(*channels: ChannelWork, pointing: tuple[float, float] | None = UP) -> SequenceWork:
    return SequenceWork(key="sequence-12", name="first look", kind=WorkKind.SCIENCE,
                        target_name="GRB 261121A",
                        pointing=None if pointing is None else Pointing(*pointing),
                        channels=channels, priority=8, sequence_id=12, request_id=3)


def plan(filter_name: str | None, exposure: float, count: int, plan_id: int | None = None,
         name: str = "plan") -> Exposures:
    return Exposures(name=name, filter=filter_name, exposure=exposure, count=count,
                     plan_id=plan_id)


def executor_for(observatory, tmp_path: Path, **options) -> Executor:
    return Executor(observatory.unit, observatory.devices,
                    image_dir=lambda work, channel: tmp_path / work.key, **options)


def files_in(directory: Path) -> set[Path]:
    return set(directory.iterdir()) if directory.exists() else set()


def interrupt_later(executor: Executor, wall_seconds: float, reason: str) -> list[float]:
    """Interrupt from another thread; the returned list receives when (monotonic)."""
    when: list[float] = []

    def fire() -> None:
        when.append(time.monotonic())
        executor.interrupt(reason)

    threading.Timer(wall_seconds, fire).start()
    return when


# --- a sequence --------------------------------------------------------------------------


def test_a_two_channel_sequence_takes_every_image_with_its_headers(observatory, tmp_path):
    work = science(
        ChannelWork("VIS", (plan("r", 2.0, 2, plan_id=31, name="r band"),), album_id=21),
        ChannelWork("NIR", (plan("J", 2.0, 1, plan_id=32), plan("H", 1.0, 1, plan_id=33)),
                    album_id=22))
    executor = executor_for(observatory, tmp_path, context=lambda started: dict(CONTEXT))
    slews: list[tuple[int, datetime]] = []

    outcome = executor.run(work, on_slew=lambda when: slews.append(
        (threading.get_ident(), when)))

    assert outcome.outcome is Outcome.EXECUTED, outcome.reason
    assert outcome.reason == "all 4 images taken"
    assert slews == [(threading.get_ident(), outcome.slew_started)]
    assert len(outcome.images) == 4
    assert files_in(tmp_path / "sequence-12") == {i.path for i in outcome.images}
    assert all(NAME.match(i.path.name) for i in outcome.images)
    assert outcome.started <= outcome.slew_started <= min(i.started for i in outcome.images)
    by_plan = {(i.channel, i.plan_id, i.index): i for i in outcome.images}
    assert set(by_plan) == {("VIS", 31, 1), ("VIS", 31, 2), ("NIR", 32, 1), ("NIR", 33, 1)}
    for image in outcome.images:
        header = fits.getheader(image.path)
        assert header["FILTER"] == image.filter
        assert header["PYROSPLN"] == image.plan_id
        assert header["PYROSALB"] == (21 if image.channel == "VIS" else 22)
        assert header["CHANNEL"] == image.channel
        assert header["EXPTIME"] == image.exposure
        assert header["DATE-OBS"] == fits_time(image.started)
        assert header["DATE-END"] == fits_time(image.ended)
        assert image.airmass == header["AIRMASS"] == pytest.approx(1.10, abs=0.02)
        assert {k: header[k] for k in CONTEXT} == CONTEXT
    header = fits.getheader(by_plan[("NIR", 33, 1)].path)
    assert (header["OBJECT"], header["IMAGETYP"], header["OBSTYPE"]) == (
        "GRB 261121A", "LIGHT", "LIGHT")
    assert (header["PYROSSEQ"], header["PYROSREQ"], header["PYROSKEY"]) == (
        12, 3, "sequence-12")
    assert (header["TARG-RA"], header["TARG-DEC"]) == UP
    assert (header["RA"], header["DEC"]) == pytest.approx(UP, abs=1e-3)
    assert header["ALT"] == pytest.approx(65, abs=1) and 0 < header["AZ"] < 180
    assert header["TELESCOP"] == observatory.unit.unit
    assert header["OBSERVAT"] == observatory.unit.site.name
    assert header["SITELONG"] == observatory.unit.site.longitude
    devices = observatory.devices
    assert devices.filter_wheels["VIS"].status().filter == "r"
    assert devices.filter_wheels["NIR"].status().filter == "H"
    assert devices.dome.status().following
    assert not executor.busy


def test_headers_give_the_conditions_at_the_exposures_start(observatory, tmp_path):
    """Safety and the majordome's state as they were when the shutters opened, the same
    on both channels, though they changed while the frames were exposed and read."""
    conditions = ConditionsLog()
    conditions.record(clock.now(), SAFETY="OK", OBSSTATE="OBSERVING", WXRAIN=0.0)
    executor = executor_for(observatory, tmp_path, context=conditions.at)
    work = science(ChannelWork("VIS", (plan("r", 20.0, 1),)),
                   ChannelWork("NIR", (plan("J", 20.0, 1),)))

    def rain_while_exposing() -> None:
        cameras = observatory.devices.cameras.values()
        wait_until(lambda: all(camera.status().state == CameraState.EXPOSING
                               for camera in cameras), "both channels exposing")
        conditions.record(clock.now(), SAFETY="RAINING", OBSSTATE="CLOSING", WXRAIN=3.0)

    rain = threading.Thread(target=rain_while_exposing)
    rain.start()
    outcome = executor.run(work)
    rain.join()

    assert outcome.outcome is Outcome.EXECUTED, outcome.reason
    headers = [fits.getheader(image.path) for image in outcome.images]
    assert len(headers) == 2
    for header in headers:
        assert (header["SAFETY"], header["OBSSTATE"], header["WXRAIN"]) == (
            "OK", "OBSERVING", 0.0)
    assert conditions.at(clock.now())["SAFETY"] == "RAINING"


def test_channels_expose_at_the_same_time(observatory_factory, tmp_path):
    # Ten times faster only: a wall millisecond of overhead is 10 simulated ones, not 50.
    observatory = observatory_factory(speed=10.0)
    work = science(ChannelWork("VIS", (plan("r", 5.0, 1),)),
                   ChannelWork("NIR", (plan("J", 5.0, 1),)), pointing=None)

    outcome = executor_for(observatory, tmp_path).run(work)

    assert outcome.outcome is Outcome.EXECUTED, outcome.reason
    vis, nir = sorted(outcome.images, key=lambda i: i.channel, reverse=True)
    assert max(vis.started, nir.started) < min(vis.ended, nir.ended)  # the shutters overlap


def test_on_image_is_called_in_the_callers_thread_as_images_arrive(observatory, tmp_path):
    executor = executor_for(observatory, tmp_path)
    calls: list[tuple[int, datetime, bool]] = []

    def on_image(image: ImageTaken) -> None:
        calls.append((threading.get_ident(), clock.now(), executor.busy))

    outcome = executor.run(science(ChannelWork("NIR", (plan(None, 1.0, 3),)), pointing=None),
                           on_image)

    assert outcome.outcome is Outcome.EXECUTED, outcome.reason
    assert len(calls) == 3
    assert {thread for thread, _, _ in calls} == {threading.get_ident()}
    assert all(busy for _, _, busy in calls)
    assert calls[0][1] < outcome.images[-1].started  # not all at the end


def test_bias_and_darks_need_no_pointing(observatory_factory, tmp_path):
    observatory = observatory_factory(bias_count=2, dark_exposures=[1.0], dark_count=1)
    mount = observatory.devices.mount
    before = mount.status()
    work = bias_and_darks(observatory.unit, date(2026, 11, 21), "dusk")

    outcome = executor_for(observatory, tmp_path).run(work)

    assert outcome.outcome is Outcome.EXECUTED, outcome.reason
    assert outcome.slew_started is None
    after = mount.status()
    assert (after.alt, after.az) == pytest.approx((before.alt, before.az), abs=0.01)
    for channel in ("VIS", "NIR"):
        images = [i for i in outcome.images if i.channel == channel]
        assert [(i.frame_type, i.exposure) for i in images] == [
            (FrameType.BIAS, 0.0), (FrameType.BIAS, 0.0), (FrameType.DARK, 1.0)]
    header = fits.getheader(outcome.images[0].path)
    assert header["PYROSKEY"] == "calibration-2026-11-21-dusk-darks"
    assert header["IMAGETYP"] in ("BIAS", "DARK")
    assert "AIRMASS" not in header and "TARG-RA" not in header and "PYROSSEQ" not in header
    assert outcome.images[0].airmass is None


# --- stopping ------------------------------------------------------------------------


def test_an_interrupt_during_the_exposures_returns_at_once_with_the_images_taken(
        observatory, tmp_path):
    executor = executor_for(observatory, tmp_path)
    # A first short exposure, then long ones: the interrupt comes during a long one.
    work = science(ChannelWork("VIS", (plan(None, 20.0, 1), plan(None, LONG, 2))),
                   ChannelWork("NIR", (plan(None, 20.0, 1), plan(None, LONG, 2))),
                   pointing=None)
    timers: list[list[float]] = []

    def on_image(image: ImageTaken) -> None:
        if not timers:  # the next exposures have just begun
            timers.append(interrupt_later(executor, 0.1, "preempted by alert GRB 261121B"))

    outcome = executor.run(work, on_image)
    returned = time.monotonic()
    fired = timers[0]

    assert outcome.outcome is Outcome.INTERRUPTED
    assert outcome.reason == "preempted by alert GRB 261121B"
    assert returned - fired[0] < LONG_WALL / 2  # stopped, not waited for
    assert 1 <= len(outcome.images) <= 2
    assert all(image.exposure == 20.0 for image in outcome.images)
    directory = tmp_path / "sequence-12"
    assert files_in(directory) == {i.path for i in outcome.images}
    for camera in observatory.devices.cameras.values():  # no exposure left running
        assert camera.status().state is CameraState.IDLE
    assert not executor.busy

    again = executor.run(science(ChannelWork("NIR", (plan(None, 1.0, 1),)), pointing=None))
    assert again.outcome is Outcome.EXECUTED, again.reason
    assert len(again.images) == 1


def test_an_interrupt_during_the_slew_stops_the_mount(observatory_factory, tmp_path):
    observatory = observatory_factory(speed=2.0)  # the slew takes seconds of wall time
    executor = executor_for(observatory, tmp_path)
    fired = interrupt_later(executor, 0.5, "operator STOP")

    outcome = executor.run(science(ChannelWork("VIS", (plan("r", 1.0, 1),)), pointing=FAR))
    returned = time.monotonic()

    assert outcome.outcome is Outcome.INTERRUPTED
    assert outcome.reason == "operator STOP"
    assert returned - fired[0] < 5.0  # the slew of 70 degrees takes half a minute here
    assert outcome.slew_started is not None and outcome.images == []
    assert files_in(tmp_path / "sequence-12") == set()
    time.sleep(0.2)
    status = observatory.devices.mount.status()
    assert not status.slewing
    assert (status.ra, status.dec) != pytest.approx(FAR, abs=1.0)


def test_an_interrupt_while_idle_is_ignored(observatory, tmp_path):
    executor = executor_for(observatory, tmp_path)
    executor.interrupt("nothing to stop")
    outcome = executor.run(science(ChannelWork("NIR", (plan(None, 1.0, 1),)), pointing=None))
    assert outcome.outcome is Outcome.EXECUTED, outcome.reason


def test_a_failing_callback_does_not_stop_the_sequence(observatory, tmp_path):
    def on_image(image: ImageTaken) -> None:
        raise RuntimeError("database is locked")

    outcome = executor_for(observatory, tmp_path).run(
        science(ChannelWork("NIR", (plan(None, 1.0, 2),)), pointing=None), on_image)

    assert outcome.outcome is Outcome.EXECUTED, outcome.reason
    assert len(outcome.images) == 2


# --- failures ------------------------------------------------------------------------


def test_a_target_below_the_horizon_fails_naming_the_mount(observatory, tmp_path):
    outcome = executor_for(observatory, tmp_path).run(
        science(ChannelWork("VIS", (plan("r", 1.0, 1),)), pointing=DOWN))

    assert outcome.outcome is Outcome.FAILED
    mount = observatory.unit.mount.device
    assert outcome.reason.startswith(f"{mount}: slewing to RA 300.0000 Dec -60.0000: ")
    assert "below the horizon" in outcome.reason
    assert outcome.images == []
    assert files_in(tmp_path / "sequence-12") == set()


def test_a_failing_channel_stops_the_others(observatory, tmp_path):
    work = science(
        ChannelWork("VIS", (plan("r", 1.0, 1), plan("J", 1.0, 1, name="no such filter"))),
        ChannelWork("NIR", (plan(None, LONG, 2),)), pointing=None)
    started = time.monotonic()

    outcome = executor_for(observatory, tmp_path).run(work)

    assert time.monotonic() - started < LONG_WALL  # NIR's two would take twice that
    assert outcome.outcome is Outcome.FAILED
    assert outcome.reason.startswith("camera_vis.filters: changing to filter J for plan "
                                     "'no such filter': no filter 'J'")
    assert [(i.channel, i.filter) for i in outcome.images] == [("VIS", "r")]
    time.sleep(0.2)
    assert observatory.devices.cameras["NIR"].status().state is CameraState.IDLE


def test_an_unknown_channel_fails_before_anything_moves(observatory, tmp_path):
    outcome = executor_for(observatory, tmp_path).run(
        science(ChannelWork("UV", (plan(None, 1.0, 1),))))
    assert outcome.outcome is Outcome.FAILED
    assert "no camera for channel 'UV' (channels: VIS, NIR)" in outcome.reason
    assert outcome.slew_started is None


# --- FITS headers and file names -------------------------------------------------------


def test_headers_are_made_fits_legal_and_the_pixels_untouched(tmp_path):
    path = tmp_path / "image.fits"
    pixels = np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000
    fits.PrimaryHDU(data=pixels).writeto(path)
    started = datetime(2026, 11, 22, 6, 0, 1, 234567, tzinfo=UTC)

    add_headers(path, {"OBJECT": "Comète d'Été " + "x" * 100, "FILTER": None,
                       "DATE-OBS": started, "WXWIND": float("nan"), "wxtemp": 5.0,
                       "SAFETY": "OK", "NAXIS": 3, "MUCHTOOLONG": 1, "PYROSSEQ": 12,
                       "FLAG": True})

    with fits.open(path) as hdus:
        header, data = hdus[0].header, hdus[0].data
        assert header["OBJECT"].startswith("Comete d'Ete xxx")
        assert len(header["OBJECT"]) + header["OBJECT"].count("'") <= 68
        assert header["DATE-OBS"] == "2026-11-22T06:00:01.234"
        assert header["WXTEMP"] == 5.0 and header["SAFETY"] == "OK"
        assert header["PYROSSEQ"] == 12 and header["FLAG"] is True
        assert header.comments["WXTEMP"] == "outside temperature, Celsius"
        assert header["NAXIS"] == 2
        assert "FILTER" not in header and "WXWIND" not in header
        assert "MUCHTOOLONG" not in header and "MUCHTOOL" not in header
        np.testing.assert_array_equal(data, pixels)


def test_airmass_follows_pickering_2002():
    assert airmass_pickering(90.0) == pytest.approx(1.0, abs=1e-3)
    assert airmass_pickering(30.0) == pytest.approx(1.0 / math.sin(math.radians(30)), rel=0.01)
    assert airmass_pickering(2.0) < 30  # finite near the horizon, unlike sec z
    assert airmass_pickering(-1.0) is None


def test_image_names_never_overwrite(tmp_path):
    started = datetime(2026, 11, 22, 6, 0, 1, 234567, tzinfo=UTC)
    first = image_path(tmp_path, started, "VIS", "sequence-12", 1, 2)
    assert first.name == "20261122T060001.234Z_VIS_sequence-12_1-2.fits"
    first.write_bytes(b"")
    second = image_path(tmp_path, started, "VIS", "sequence-12", 1, 2)
    assert second.name == "20261122T060001.234Z_VIS_sequence-12_1-2_2.fits"
    assert image_path(tmp_path, started, "Near IR/2", "sequence 12", 1, 1).name == (
        "20261122T060001.234Z_Near-IR-2_sequence-12_1-1.fits")


def test_the_target_altitude_matches_the_test_instants():
    """The positions these tests rely on, checked once."""
    where = astro.location(31.0439, -115.4637, 2790.0)
    assert astro.altaz(*UP, TEST_NOW, where)[0] > 60
    assert 25 < astro.altaz(*FAR, TEST_NOW, where)[0] < 45
    assert astro.altaz(*DOWN, TEST_NOW, where)[0] < 0
