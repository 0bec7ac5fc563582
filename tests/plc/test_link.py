"""The simulator and the client talking over loopback TCP: scenarios played request by
request, timeouts, reconnection, malformed frames and the last good status."""

from __future__ import annotations

import json
import os
import selectors
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from pyros.plc import simulator as simulator_module
from pyros.plc.client import PlcClient, PlcDisconnected, PlcTimeout
from pyros.plc.document import PlcFrameError
from pyros.plc.scenario import parse_scenario
from pyros.plc.simulator import SimulatorThread, make_player
from pyros.ports import free_port
from tests.conftest import TEST_NOW

HOST = "127.0.0.1"
TIMEOUT = 0.3


def rain(client: PlcClient) -> float:
    return client.read_status().value("WXT520", "RainRate").value


@pytest.fixture
def play() -> Iterator:
    """Start a simulator on a free loopback port for a scenario given as a list."""
    running: list[SimulatorThread] = []

    def start(scenario: list | str | None = None, port: int = 0) -> SimulatorThread:
        if isinstance(scenario, list):
            scenario = parse_scenario(scenario)
        sim = SimulatorThread(make_player(scenario), HOST, port).start()
        running.append(sim)
        return sim

    yield start
    for sim in running:
        sim.stop()


def test_round_trip_plays_the_rain_scenario(play, simulated_clock):
    sim = play("rain")
    with PlcClient(HOST, sim.port, timeout=2.0) as client:
        assert [rain(client) for _ in range(8)] == [0, 0, 12, 12, 12, 12, 0, 0]
        status = client.read_status()
        assert status.value("VantagePro", "RainRate").value == 0.0
        assert status.date == TEST_NOW  # stamped on the injected clock
        assert sim.iteration == 9
        assert client.connections_opened == 1  # one connection for the whole night

        simulated_clock.advance(42)
        kept = client.last_good
        assert kept is not None
        assert kept.document == status
        assert (kept.age_seconds, kept.is_stale, kept.last_error) == (42.0, False, None)


def test_time_based_events_follow_the_injected_clock(play, simulated_clock):
    sim = play([5, {"at_seconds": 600, "plcSimulator": {
        "device_name": "WXT520", "value_name": "RainRate", "value": 3.5}}])
    with PlcClient(HOST, sim.port, timeout=2.0) as client:
        assert rain(client) == 0.0
        simulated_clock.advance(599)
        assert rain(client) == 0.0
        simulated_clock.advance(1)
        assert rain(client) == 3.5


def test_the_guides_request_form_is_understood_and_others_are_refused(play):
    sim = play()
    with socket.create_connection((HOST, sim.port), timeout=2.0) as sock:
        stream = sock.makefile("rwb")
        stream.write(b'{"command": [{"name": "STATUS"}]}\n{"request": "reboot"}\nnonsense\n')
        stream.flush()
        status = json.loads(stream.readline())
        assert status[0]["name"] == "STATUS" and len(status[0]["device"]) == 6
        assert json.loads(stream.readline()) == {
            "error": 'unknown request; send {"request": "status"} or {"request": "bypass", ...}'}
        assert json.loads(stream.readline())["error"].startswith("not JSON")
    assert sim.iteration == 1  # refused requests are not PLC iterations


def test_the_bypass_is_echoed_in_the_status_until_cleared(play):
    sim = play()
    client = PlcClient(HOST, sim.port, timeout=2.0)
    assert client.read_status().value("SITE", "Bypass").value == 0
    assert client.read_status(bypass=True).value("SITE", "Bypass").value == 1
    assert client.read_status().value("SITE", "Bypass").value == 1  # it holds
    assert client.read_status(bypass=False).value("SITE", "Bypass").value == 0
    with socket.create_connection((HOST, sim.port), timeout=2.0) as sock:
        stream = sock.makefile("rwb")
        stream.write(b'{"request": "bypass", "value": "yes"}\n')
        stream.flush()
        assert json.loads(stream.readline()) == {
            "error": 'a bypass request needs "value": 0 or 1'}
    assert sim.iteration == 4 and sim.simulator.bypass is False


def test_a_silent_plc_times_out_and_the_next_call_reconnects(play):
    sim = play([10, {"time": 2, "failure": "silent"}])
    client = PlcClient(HOST, sim.port, timeout=TIMEOUT)
    first = client.read_status()
    started = time.monotonic()
    with pytest.raises(PlcTimeout) as caught:
        client.read_status()
    assert TIMEOUT <= time.monotonic() - started < TIMEOUT + 5.0  # not for ever
    assert str(caught.value) == f"PLC at {HOST}:{sim.port}: no answer within 0.3 s"
    kept = client.last_good
    assert kept is not None and kept.document == first and kept.is_stale
    assert kept.last_error == str(caught.value)
    client.read_status()  # iteration 3 answers again, on a new connection
    assert (sim.iteration, client.connections_opened) == (3, 2)
    assert not client.last_good.is_stale
    client.close()


def test_a_server_that_never_answers_times_out():
    with socket.socket() as listener:
        listener.bind((HOST, 0))
        listener.listen(1)  # accepted by the kernel, never answered
        port = listener.getsockname()[1]
        client = PlcClient(HOST, port, timeout=TIMEOUT)
        with pytest.raises(PlcTimeout, match=f"PLC at {HOST}:{port}: no answer within"):
            client.read_status()
        assert client.last_good is None
        client.close()


def test_a_dropped_connection_is_reopened_within_the_same_call(play):
    sim = play([10, {"time": 2, "failure": "disconnect"}])
    with PlcClient(HOST, sim.port, timeout=2.0) as client:
        client.read_status()
        client.read_status()  # iteration 2 hangs up; the retry is iteration 3
        assert (sim.iteration, client.connections_opened) == (3, 2)


def test_reconnection_after_a_disconnect_event(play):
    sim = play([10, {"time": 2, "failure": "disconnect", "for_iterations": 2}])
    with PlcClient(HOST, sim.port, timeout=2.0) as client:
        client.read_status()
        with pytest.raises(PlcDisconnected, match=f"PLC at {HOST}:{sim.port}: closed the"):
            client.read_status()  # the retry on a fresh connection is hung up on too
        assert client.last_good.is_stale
        assert rain(client) == 0.0
        assert (sim.iteration, client.connections_opened) == (4, 3)
        assert not client.last_good.is_stale


def test_the_client_survives_a_plc_restart(play):
    port = free_port()
    first = play(port=port)
    client = PlcClient(HOST, port, timeout=1.0)
    client.read_status()
    first.stop()
    with pytest.raises(PlcDisconnected, match=f"PLC at {HOST}:{port}: cannot connect"):
        client.read_status()
    second = play("rain", port=port)
    assert rain(client) == 0.0
    assert second.iteration == 1
    client.close()


def test_garbage_is_refused_and_the_last_good_status_is_kept_stale(play, simulated_clock):
    bad_rain = json.dumps([{"name": "STATUS", "from": "Beckhoff", "version_firmware": "1",
                            "site": "OSM", "date": "2026-11-21T12:00:00",
                            "device": [{"name": "WXT520", "type": "meteo", "valid": "yes",
                                        "values": [{"name": "RainRate", "value": "wet",
                                                    "unit": "mm/h"}]}]}])
    sim = play([10,
                {"time": 1, "plcSimulator": {"device_name": "WXT520",
                                             "value_name": "RainRate", "value": 1.5}},
                {"time": 2, "failure": "garbage"},
                {"time": 3, "failure": "garbage", "frame": bad_rain}])
    with PlcClient(HOST, sim.port, timeout=2.0) as client:
        good = client.read_status()
        assert good.value("WXT520", "RainRate").value == 1.5

        simulated_clock.advance(5)
        with pytest.raises(PlcFrameError, match=f"PLC at {HOST}:{sim.port}: PLC frame is not JSON"):
            client.read_status()
        kept = client.last_good
        assert kept.document == good
        assert (kept.age_seconds, kept.is_stale) == (5.0, True)

        simulated_clock.advance(5)
        with pytest.raises(PlcFrameError) as caught:
            client.read_status()
        assert (caught.value.device, caught.value.value) == ("WXT520", "RainRate")
        assert "device 'WXT520', value 'RainRate': unit 'mm/h' needs a number" in str(
            caught.value)
        assert client.last_good.age_seconds == 10.0
        assert client.last_good.document == good

        assert rain(client) == 1.5
        assert not client.last_good.is_stale
        assert client.connections_opened == 1  # a bad frame does not break the link


def test_an_endless_frame_is_cut_and_the_connection_reopened(play):
    sim = play([10, {"time": 1, "failure": "garbage", "frame": "x" * 20_000}])
    with PlcClient(HOST, sim.port, timeout=2.0, max_frame_bytes=8000) as client:
        with pytest.raises(PlcFrameError, match=r"^PLC at [\d.:]+: frame longer than 8000 bytes"):
            client.read_status()
        assert rain(client) == 0.0
        assert client.connections_opened == 2


def test_nothing_listening_is_a_disconnection():
    port = free_port()
    client = PlcClient(HOST, port, timeout=TIMEOUT)
    with pytest.raises(PlcDisconnected, match=f"^PLC at {HOST}:{port}: cannot connect"):
        client.read_status()
    assert isinstance(PlcDisconnected("x"), ConnectionError)
    assert isinstance(PlcTimeout("x"), TimeoutError)


def test_run_as_a_program():
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "pyros.plc.simulator", "--port", "0", "--scenario", "rain"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env,
    )
    try:
        port = _port_from_log(process)
        with PlcClient(HOST, port, timeout=2.0) as client:
            assert [rain(client) for _ in range(3)] == [0, 0, 12]
    finally:
        process.terminate()
        process.wait(timeout=5)


def _port_from_log(process: subprocess.Popen, timeout: float = 8.0) -> int:
    assert process.stderr is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stderr, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if selector.select(deadline - time.monotonic()):
            line = process.stderr.readline().decode()
            if "listening on" in line:
                return int(line.split(f"{HOST}:")[1].split()[0])
            if not line:
                break
    raise AssertionError("the simulator did not say where it listens")


def test_the_program_refuses_a_bad_scenario(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("logging.basicConfig", lambda **kwargs: None)
    bad = tmp_path / "bad.json"
    bad.write_text('[10, {"time": 3, "plcSimulator": {"device_name": "WXT999", '
                   '"value_name": "RainRate", "value": 1.0}}]')
    assert simulator_module.main(["--port", "0", "--scenario", str(bad)]) == 2
    error = capsys.readouterr().err
    assert f"error: scenario {bad}: event 1 (WXT999.RainRate = 1.0 at iteration 3)" in error
    assert "no device 'WXT999'" in error


def test_seconds_count_from_the_start_of_the_runs_clock(simulated_clock):
    """Under `pyros start --sim-time`, a scenario's at_seconds count from the run's start,
    not from the simulator's: one started late, or restarted, keeps the scenario's hours."""
    import asyncio
    from datetime import UTC, datetime, timedelta

    from pyros.plc.simulator import PlcSimulator, run_clock_start

    async def elapsed_after_start(simulator: PlcSimulator) -> float:
        await simulator.start()
        try:
            return simulator.elapsed
        finally:
            await simulator.stop()

    late = PlcSimulator(make_player(None), HOST, 0, origin=TEST_NOW - timedelta(seconds=500))
    assert asyncio.run(elapsed_after_start(late)) == 500.0
    assert asyncio.run(elapsed_after_start(PlcSimulator(make_player(None), HOST, 0))) == 0.0
    assert run_clock_start({"PYROS_CLOCK_START": "2026-11-22T04:00:00+00:00"}) == \
        datetime(2026, 11, 22, 4, 0, tzinfo=UTC)
    assert run_clock_start({}) is None
