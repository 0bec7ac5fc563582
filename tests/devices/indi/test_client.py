"""The client's waiting, timeouts, reconnection and BLOB streaming, against a scripted
server on a unix socket: the cases a real driver produces rarely or not on demand."""

from __future__ import annotations

import asyncio
import base64
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pyros.devices.errors import DeviceDisconnected, DeviceError, DeviceTimeout
from pyros.devices.indi.client import IndiClient, parse_address

DEVICE = "Fake Mount"
DEFINITIONS = f"""<defSwitchVector device="{DEVICE}" name="CONNECTION" state="Ok" perm="rw"
  rule="OneOfMany"><defSwitch name="CONNECT">On</defSwitch>
  <defSwitch name="DISCONNECT">Off</defSwitch></defSwitchVector>
<defNumberVector device="{DEVICE}" name="POSITION" state="Ok" perm="rw">
  <defNumber name="X" min="0" max="100">10</defNumber></defNumberVector>
<defNumberVector device="{DEVICE}" name="READING" state="Ok" perm="ro">
  <defNumber name="V">1</defNumber></defNumberVector>
<defNumberVector device="{DEVICE}" name="EXPOSURE" state="Idle" perm="rw">
  <defNumber name="SECONDS">0</defNumber></defNumberVector>
<defBLOBVector device="{DEVICE}" name="IMAGE" state="Idle" perm="ro">
  <defBLOB name="IMAGE"/></defBLOBVector>
"""
#: What the server answers to an order: XML to send, seconds to pause, or CLOSE.
Reply = list[str | float]
CLOSE = "CLOSE"


def position(x: float, state: str, message: str = "") -> str:
    return (f'<setNumberVector device="{DEVICE}" name="POSITION" state="{state}" '
            f'message="{message}"><oneNumber name="X">{x}</oneNumber></setNumberVector>\n')


def exposure(state: str) -> str:
    return (f'<setNumberVector device="{DEVICE}" name="EXPOSURE" state="{state}">'
            f'<oneNumber name="SECONDS">0</oneNumber></setNumberVector>\n')


def image(payload: bytes, fmt: str = ".fits") -> list[str | float]:
    """A BLOB sent in three pieces with pauses, as a slow link delivers it."""
    encoded = base64.b64encode(payload).decode()
    third = len(encoded) // 3
    return [f'<setBLOBVector device="{DEVICE}" name="IMAGE" state="Ok"><oneBLOB name="IMAGE" '
            f'size="{len(payload)}" format="{fmt}">\n{encoded[:third]}', 0.05,
            f"{encoded[third:2 * third]}\n", 0.05,
            f"{encoded[2 * third:]}\n</oneBLOB></setBLOBVector>\n"]


class FakeIndiServer:
    """Answers getProperties with DEFINITIONS and each order with ``script(order)``."""

    def __init__(self, path: str, script: Callable[[str], Reply]) -> None:
        self.path, self.script = path, script
        self.received: list[str] = []
        self.connections = 0
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self.thread.start()
        ready.wait(5)

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_unix_server(self._serve,
                                                                             self.path))
        ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self._close())
        self.loop.close()

    async def _close(self) -> None:
        self.server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while line := (await reader.readline()).decode():
                self.received.append(line.strip())
                replies: Reply = [DEFINITIONS] if line.startswith("<getProperties") else \
                    self.script(line) if line.startswith("<new") else []
                for reply in replies:
                    if reply == CLOSE:
                        return
                    if isinstance(reply, float):
                        await asyncio.sleep(reply)
                    else:
                        writer.write(reply.encode())
                        await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


Serve = Callable[[Callable[[str], Reply]], IndiClient]


@pytest.fixture
def servers() -> list[FakeIndiServer]:
    return []


@pytest.fixture
def serve(tmp_path: Path, servers: list[FakeIndiServer]) -> Iterator[Serve]:
    """Start a scripted server; return a client of it (the server goes to ``servers``)."""
    clients: list[IndiClient] = []

    def serve(script: Callable[[str], Reply]) -> IndiClient:
        servers.append(FakeIndiServer(str(tmp_path / "indi.sock"), script))
        clients.append(IndiClient(unix_path=servers[-1].path))
        return clients[-1]

    yield serve
    for client in clients:
        client.close()
    for server in servers:
        server.stop()


def test_an_order_waits_for_busy_then_ok(serve: Serve) -> None:
    client = serve(lambda order: [position(10, "Busy"), 0.2, position(50, "Busy"), 0.2,
                                  position(80, "Ok")])
    started = time.monotonic()
    done = client.device(DEVICE, "mount").set("POSITION", {"X": 80}, timeout=5)
    assert time.monotonic() - started >= 0.4
    assert done.values == {"X": 80.0}


def test_an_update_already_on_its_way_is_not_taken_for_the_answer(serve: Serve) -> None:
    # The driver's periodic report (Ok, old value) crosses the order; then it works.
    client = serve(lambda order: [position(10, "Ok"), 0.2, position(40, "Busy"), 0.2,
                                  position(80, "Ok")])
    done = client.device(DEVICE, "mount").set("POSITION", {"X": 80}, timeout=5)
    assert done.values == {"X": 80.0}


def test_an_order_already_fulfilled_is_done_without_busy(serve: Serve) -> None:
    client = serve(lambda order: [position(10, "Ok")])
    done = client.device(DEVICE, "mount").set("POSITION", {"X": 10}, timeout=5)
    assert done.values == {"X": 10.0}


def test_not_waiting_returns_once_the_driver_is_busy(serve: Serve) -> None:
    client = serve(lambda order: [position(20, "Busy"), 1.0, position(80, "Ok")])
    accepted = client.device(DEVICE, "mount").set("POSITION", {"X": 80}, timeout=5,
                                                  wait=False)
    assert accepted.state.value == "Busy"  # returned before the driver's Ok, 1 s later


def test_alert_raises_with_the_drivers_reason(serve: Serve) -> None:
    client = serve(lambda order: [position(10, "Busy"),
                                  position(10, "Alert", "Target is below the horizon")])
    with pytest.raises(DeviceError, match="mount: POSITION failed: Target is below the "
                                          "horizon"):
        client.device(DEVICE, "mount").set("POSITION", {"X": 80}, timeout=5)


def test_idle_without_busy_is_a_refusal_with_the_drivers_message(serve: Serve) -> None:
    warning = (f'<message device="{DEVICE}" message="[WARNING] Please unpark the mount '
               'before issuing any motion/sync commands."/>\n')
    client = serve(lambda order: [warning, position(10, "Idle")])
    started = time.monotonic()
    with pytest.raises(DeviceError, match=r"POSITION refused: .*Please unpark the mount"):
        client.device(DEVICE, "mount").set("POSITION", {"X": 80}, timeout=60)
    assert 0.9 < time.monotonic() - started < 30  # a grace of a second, not the timeout


def test_an_idle_update_crossing_the_order_is_not_a_refusal(serve: Serve) -> None:
    client = serve(lambda order: [position(10, "Idle"), 0.3, position(40, "Busy"), 0.3,
                                  position(80, "Ok")])
    assert client.device(DEVICE, "mount").set("POSITION", {"X": 80}, timeout=5).values == \
        {"X": 80.0}


def test_busy_for_ever_times_out_on_time(serve: Serve) -> None:
    client = serve(lambda order: [position(20, "Busy")])
    started = time.monotonic()
    with pytest.raises(DeviceTimeout, match=r"POSITION still Busy after 0\.5 s"):
        client.device(DEVICE, "mount").set("POSITION", {"X": 80}, timeout=0.5)
    assert 0.5 <= time.monotonic() - started < 10  # not for ever


def test_orders_the_property_cannot_take_are_refused_before_sending(serve: Serve) -> None:
    client = serve(lambda order: [])
    link = client.device(DEVICE, "mount")
    with pytest.raises(DeviceError, match="read-only"):
        link.set("READING", {"V": 2}, timeout=2)
    with pytest.raises(DeviceError, match="has no element Y"):
        link.set("POSITION", {"Y": 2}, timeout=2)
    with pytest.raises(DeviceTimeout, match=r"did not define Fake Mount\.NOTHING"):
        link.set("NOTHING", {"Y": 2}, timeout=0.3)


def test_a_dropped_connection_raises_and_the_next_call_reconnects(serve: Serve) -> None:
    orders: list[str] = []

    def script(order: str) -> Reply:
        orders.append(order)
        return [position(20, "Busy"), 0.2, CLOSE] if len(orders) == 1 else \
            [position(20, "Busy"), position(80, "Ok")]

    client = serve(script)
    link = client.device(DEVICE, "mount")
    link.enable_blob(2, name="IMAGE")
    started = time.monotonic()
    with pytest.raises(DeviceDisconnected, match="mount: lost indiserver"):
        link.set("POSITION", {"X": 80}, timeout=60)
    assert time.monotonic() - started < 30  # the loss noticed, not the timeout
    assert not client.is_connected
    assert link.set("POSITION", {"X": 80}, timeout=5).values == {"X": 80.0}
    assert client.generation == 2


def test_reconnection_sends_get_properties_and_enable_blob_again(
        serve: Serve, servers: list[FakeIndiServer]) -> None:
    client = serve(lambda order: [CLOSE])
    link = client.device(DEVICE, "camera")
    link.enable_blob(2, name="IMAGE")
    with pytest.raises(DeviceDisconnected):
        link.set("POSITION", {"X": 80}, timeout=5)
    link.get("POSITION", 5)

    def greetings() -> list[str]:
        return [m.split(" ")[0] for m in servers[0].received if not m.startswith("<new")]

    deadline = time.monotonic() + 2
    while len(greetings()) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)  # the server may not have read the last line yet
    assert greetings() == ["<getProperties", "<enableBLOB", "<getProperties", "<enableBLOB"]


def test_no_server_is_a_disconnection(tmp_path: Path) -> None:
    client = IndiClient(unix_path=str(tmp_path / "nobody.sock"))
    try:
        with pytest.raises(DeviceDisconnected, match="cannot reach indiserver"):
            client.device(DEVICE, "mount").get("POSITION", 2)
    finally:
        client.close()


def test_an_image_is_streamed_to_its_file(serve: Serve, tmp_path: Path) -> None:
    payload = os.urandom(200_000)
    client = serve(lambda order: [exposure("Busy"), 0.1, *image(payload), exposure("Ok")])
    link = client.device(DEVICE, "camera")
    link.enable_blob(2, name="IMAGE")
    target = tmp_path / "image.fits"
    value = link.capture("EXPOSURE", {"SECONDS": 1}, "IMAGE", target, 5, formats=(".fits",))
    assert (value.format, value.size, value.received) == (".fits", 200_000, 200_000)
    assert target.read_bytes() == payload
    assert sorted(p.name for p in tmp_path.iterdir()) == ["image.fits", "indi.sock"]


def test_an_image_cut_off_leaves_no_file(serve: Serve, tmp_path: Path) -> None:
    pieces = image(os.urandom(100_000))
    client = serve(lambda order: [exposure("Busy"), *pieces[:3], CLOSE])
    link = client.device(DEVICE, "camera")
    link.enable_blob(2, name="IMAGE")
    with pytest.raises(DeviceDisconnected):
        link.capture("EXPOSURE", {"SECONDS": 1}, "IMAGE", tmp_path / "image.fits", 5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["indi.sock"]


def test_an_image_in_another_format_is_refused(serve: Serve, tmp_path: Path) -> None:
    client = serve(lambda order: [exposure("Busy"), *image(b"compressed", ".fits.fz")])
    link = client.device(DEVICE, "camera")
    link.enable_blob(2, name="IMAGE")
    with pytest.raises(DeviceError, match=r"came as '\.fits\.fz', not \.fits"):
        link.capture("EXPOSURE", {"SECONDS": 1}, "IMAGE", tmp_path / "image.fits", 5,
                     formats=(".fits",))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["indi.sock"]


def test_an_aborted_exposure_raises(serve: Serve, tmp_path: Path) -> None:
    client = serve(lambda order: [exposure("Busy"), 0.1, exposure("Idle")])
    link = client.device(DEVICE, "camera")
    with pytest.raises(DeviceError, match="EXPOSURE stopped before the image arrived"):
        link.capture("EXPOSURE", {"SECONDS": 1}, "IMAGE", tmp_path / "image.fits", 5)


@pytest.mark.parametrize(("address", "parsed"), [
    ("localhost:7624", ("localhost", 7624)), ("10.0.0.5:7625", ("10.0.0.5", 7625)),
    ("[::1]:7624", ("::1", 7624)),
])
def test_addresses(address: str, parsed: tuple[str, int]) -> None:
    assert parse_address(address) == parsed
    with pytest.raises(ValueError):
        parse_address(address.rsplit(":", 1)[0])
