"""The majordome's executor and the devices agent drive Alpaca devices exactly as they
drive simulated ones: neither knows the backend. A sequence is pointed, filtered,
exposed and written with its headers; the agent polls every device and runs its remote
commands over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
from astropy.io import fits

from pyros import clock
from pyros.config.schema import Sensor
from pyros.instruments.agent import DevicesAgent
from pyros.instruments.models import DeviceState, Mode
from pyros.majordome.executor import Executor
from pyros.majordome.work import ChannelWork, Exposures, Outcome, Pointing, SequenceWork, WorkKind
from pyros.monitoring.monitor import Monitor
from pyros.monitoring.synthesis import synthesize
from pyros.plc.client import PlcClient
from tests.devices.alpaca.test_devices import high_in_the_east
from tests.instruments.conftest import context, set_mode
from tests.waiting import GENEROUS, wait_until


def test_the_executor_runs_a_sequence_on_alpaca_devices(alpaca, tmp_path):
    unit = alpaca.unit.model_copy(update={"mount": alpaca.unit.mount.model_copy(
        update={"settle_time": 0.2})})
    alpaca.devices.mount.unpark()
    ra, dec = high_in_the_east(unit)
    work = SequenceWork(
        key="sequence-7", name="alpaca night", kind=WorkKind.SCIENCE, target_name="M 42",
        pointing=Pointing(ra, dec), priority=5, sequence_id=7, request_id=2,
        channels=(ChannelWork("VIS", (Exposures(name="r", filter="r", exposure=1.0, count=2,
                                                plan_id=1),), album_id=3),
                  ChannelWork("NIR", (Exposures(name="J", filter="J", exposure=1.0, count=1,
                                                plan_id=2),), album_id=4)))
    executor = Executor(unit, alpaca.devices, image_dir=lambda w, c: tmp_path / w.key)

    outcome = executor.run(work)

    assert outcome.outcome is Outcome.EXECUTED, outcome.reason
    assert len(outcome.images) == 3
    for image in outcome.images:
        header = fits.getheader(image.path)
        assert (header["FILTER"], header["OBJECT"], header["CHANNEL"]) == (
            image.filter, "M 42", image.channel)
        assert (header["RA"], header["DEC"]) == pytest.approx((ra, dec), abs=1e-3)
        assert fits.getdata(image.path).shape == (192, 256)
    assert alpaca.devices.filter_wheels["NIR"].status().filter == "J"
    assert alpaca.simulator.device("filterwheel", 0).get_position({}) == 2  # "r" of VIS
    assert alpaca.devices.dome.status().following


def test_the_devices_agent_polls_and_commands_alpaca_devices(db, alpaca, tmp_path,
                                                             monkeypatch):
    monkeypatch.setenv("PYROS_HOME", str(tmp_path))
    agent = DevicesAgent("devices", "test", unit=alpaca.unit, poll_timeout=GENEROUS)
    agent.init()
    try:
        polls = agent.poll()
        assert all(p.answered for p in polls), [p for p in polls if not p.answered]
        names = {p.name for p in polls}
        assert names == {"mount", "dome", "focuser", "camera_vis", "wheel_vis", "camera_nir",
                         "wheel_nir"}
        assert DeviceState.objects.get(name="mount").data["parked"] is True
        set_mode(Mode.REMOTE)
        agent.unpark(context("unpark"))
        ra, dec = high_in_the_east(alpaca.unit)
        agent.slew(context("slew"), ra=ra, dec=dec)
        wait_until(lambda: not alpaca.devices.mount.status().slewing, "the end of the slew")
        written = Path(agent.expose(context("expose"), channel="VIS", seconds=1.0, filter="i",
                                    object_name="remote"))
        assert written.exists() and fits.getheader(written)["OBJECT"] == "remote"
        agent.poll()
        mount = DeviceState.objects.get(name="mount").data
        assert (mount["ra"], mount["dec"]) == pytest.approx((ra, dec), abs=1e-3)
        assert DeviceState.objects.get(name="wheel_vis").data["filter"] == "i"
        assert DeviceState.objects.get(name="camera_vis").data["last_image"] == str(written)
        agent.dome_close(context("dome_close"))
        agent.park(context("park"))
        wait_until(lambda: alpaca.devices.mount.status().parked, "the mount parked")
    finally:
        agent.close()


def test_alpaca_weather_feeds_the_monitorings_safety_decision(alpaca):
    alpaca.simulator.device("observingconditions").values["WindSpeed"] = 22.0
    alpaca.simulator.device("safetymonitor").safe = False
    monitor = Monitor(alpaca.unit, client=PlcClient("127.0.0.1", 9, timeout=0.1),
                      stations=alpaca.devices.weather_stations)
    now = clock.now()
    document = monitor._with_stations(None, now)  # the stations' readings as PLC devices
    sensors = [Sensor(quantity="wind_speed", device="weather", value="WindSpeed", unit="m/s"),
               # docs/alpaca.md: a SafetyMonitor that is a rain sensor's verdict
               Sensor(quantity="rain_detected", device="safety", value="IsSafe", unit="bool",
                      invert=True)]
    synthesis = synthesize(document, sensors, now, 60.0)
    assert (synthesis.get("wind_speed"), synthesis.get("rain_detected")) == (22.0, True), \
        synthesis.values
    decision = monitor.evaluator.evaluate(synthesis)
    assert not decision.safe
    assert any("wind 22 m/s" in reason for reason in decision.reasons)
    assert any("the rain detector is wet" in reason for reason in decision.reasons)
