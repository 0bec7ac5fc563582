"""What goes wrong between PyROS and an Alpaca server becomes the device error the
agents already handle: Alpaca error numbers, HTTP errors, silence, a server gone, and a
driver that its server restarted (reconnected by itself)."""

from __future__ import annotations

import time

import pytest

from pyros.devices.alpaca.client import CLIENT_ID, AlpacaServer
from pyros.devices.alpaca.devices import AlpacaMount
from pyros.devices.errors import DeviceDisconnected, DeviceError, DeviceRefused, DeviceTimeout
from pyros.simulators.alpaca.server import AlpacaSimulator
from pyros.simulators.alpaca.unit import devices_for_unit


def test_every_request_carries_our_client_id_and_a_new_transaction(alpaca):
    focuser, simulator = alpaca.devices.focusers["focuser"], alpaca.simulator
    focuser.status()
    first = simulator.last_request
    focuser.status()
    second = simulator.last_request
    assert first[2]["clientid"] == second[2]["clientid"] == str(CLIENT_ID)
    assert int(second[2]["clienttransactionid"]) > int(first[2]["clienttransactionid"])


def test_a_driver_restarted_by_its_server_is_connected_again_by_itself(alpaca):
    wheel = alpaca.devices.filter_wheels["VIS"]
    wheel.set_filter("g")
    simulated = alpaca.simulator.device("filterwheel", 0)
    simulated.connected = False  # what a restarted driver says: NotConnected (0x407)
    assert wheel.status().filter == "g"
    assert simulated.connected


def test_a_driver_that_cannot_reach_its_hardware_is_a_device_error(alpaca):
    simulated = alpaca.simulator.device("focuser")
    simulated.connected, simulated.refuse_connection = False, True
    with pytest.raises(DeviceError, match=r"connected: driver error \(Alpaca 0x500\): "
                                          r"focuser: the hardware does not answer") as caught:
        alpaca.devices.focusers["focuser"].status()
    assert caught.value.device == "focuser"


def test_an_invalid_value_is_refused_by_the_driver(alpaca):
    with pytest.raises(DeviceRefused, match=r"setccdtemperature: invalid value \(Alpaca "
                                            r"0x401\): setpoint -80.0 C is outside -50..30"):
        alpaca.devices.cameras["VIS"].set_cooler(-80.0)


def test_a_slew_while_parked_is_refused_by_the_mount(alpaca):
    mount: AlpacaMount = alpaca.devices.mount
    assert mount.status().parked
    mount.link.put("tracking", Tracking=False)
    with pytest.raises(DeviceRefused, match=r"invalid while parked \(Alpaca 0x408\)"):
        mount.link.put("slewtocoordinatesasync", RightAscension=1.0, Declination=10.0)


def test_what_a_device_does_not_implement_is_refused(alpaca):
    alpaca.simulator.device("dome").rolloff = True
    with pytest.raises(DeviceRefused, match=r"slaved: not implemented \(Alpaca 0x400\)"):
        alpaca.devices.dome.follow(True)


def test_no_image_yet_is_an_invalid_operation_in_imagebytes(alpaca):
    camera = alpaca.devices.cameras["VIS"]
    camera.connect()
    with pytest.raises(DeviceRefused, match=r"imagearray: invalid operation \(Alpaca "
                                            r"0x40B\): no image is ready"):
        camera.link.image()


def test_a_device_number_the_server_does_not_have_is_refused_over_http_400(alpaca):
    server = AlpacaServer(alpaca.simulator.address)
    try:
        with pytest.raises(DeviceRefused, match="no camera number 7 on this server"):
            server.device("camera", 7, "camera 7").get("camerastate")
    finally:
        server.close()


def test_a_silent_server_times_out_then_answers_again(alpaca):
    focuser = alpaca.devices.focusers["focuser"]
    focuser.status()
    alpaca.simulator.silent.set()
    started = time.monotonic()
    with pytest.raises(DeviceTimeout, match=r"no answer from 127\.0\.0\.1:\d+ within 0.5 s"):
        focuser.status(timeout=0.5)
    assert time.monotonic() - started < 5.0
    alpaca.simulator.silent.clear()
    assert focuser.status().position == 25_000


def test_a_server_gone_is_disconnected_and_found_again_when_back(alpaca):
    wheel, simulator = alpaca.devices.filter_wheels["NIR"], alpaca.simulator
    wheel.status()
    simulator.stop()
    with pytest.raises(DeviceDisconnected, match=r"cannot reach 127\.0\.0\.1"):
        wheel.status()
    again = AlpacaSimulator(port=simulator.port, devices=devices_for_unit(
        alpaca.unit, simulator.clock)).start()
    try:
        assert wheel.status().filter == "First infrared filter"  # connected again by itself
    finally:
        again.stop()


@pytest.mark.parametrize(("fault", "reason"), [
    ("garbage", "the answer is not JSON"),
    ("misecho", r"the answer is for transaction \d+, not \d+"),
])
def test_answers_that_are_not_ours_are_refused(alpaca, fault, reason):
    focuser = alpaca.devices.focusers["focuser"]
    focuser.connect()
    alpaca.simulator.fault = fault
    with pytest.raises(DeviceError, match=reason):
        focuser.status()
