"""Debian's INDI simulators behind an indiserver in a private network namespace.

See ``netns_indiserver.py`` for why a namespace and how the tests reach the server (a
unix socket in the test's temporary directory, relayed inside the namespace).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import select
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

HELPER = Path(__file__).with_name("netns_indiserver.py")
DRIVERS = {
    "mount": ("indi_simulator_telescope", "Telescope Simulator"),
    "camera": ("indi_simulator_ccd", "CCD Simulator"),
    "dome": ("indi_simulator_dome", "Dome Simulator"),
    "wheel": ("indi_simulator_wheel", "Filter Simulator"),
    "focuser": ("indi_simulator_focus", "Focuser Simulator"),
    "weather": ("indi_simulator_weather", "Weather Simulator"),
    "watchdog": ("indi_watchdog", "WatchDog"),
}


class NamespacedIndiserver:
    """The helper process and what the tests need of it."""

    def __init__(self, workdir: Path) -> None:
        self.socket = str(workdir / "indi.sock")
        self.home = workdir / "home"
        self.home.mkdir()
        self.drivers = {kind: (driver, device) for kind, (driver, device) in DRIVERS.items()
                        if shutil.which(driver)}
        unshare = ["unshare", "--net"] if os.geteuid() == 0 else \
            ["unshare", "--user", "--map-root-user", "--net"]
        self.process = subprocess.Popen(
            [*unshare, sys.executable, str(HELPER), self.socket, str(self.home),
             *(driver for driver, _ in self.drivers.values())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._expect("ready", 20.0)

    def device(self, kind: str) -> str:
        """The INDI device name of ``kind``; skips the test if Debian lacks its driver."""
        if kind not in self.drivers:
            pytest.skip(f"{DRIVERS[kind][0]} is not in this indi-bin package")
        return self.drivers[kind][1]

    def kill(self) -> None:
        self._command("kill")

    def run(self, *argv: str) -> dict:
        """One of INDI's own clients (indi_getprop, indi_setprop, indi_eval), run next
        to indiserver: ``{"rc", "out", "err", "seconds"}``."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("run " + json.dumps(list(argv)) + "\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], 150.0)
        assert ready, f"{argv[0]} did not return"
        return json.loads(self.process.stdout.readline())

    def getprop(self, *patterns: str) -> dict[str, str]:
        """The drivers' own values, as ``indi_getprop`` prints them: ``{"Device.PROP.ELEMENT":
        text}`` (the last of any repeated line)."""
        done = self.run("indi_getprop", "-t", "3", *patterns)
        values = {}
        for line in done["out"].splitlines():
            key, sep, value = line.partition("=")
            if sep:
                values[key] = value
        assert values, f"indi_getprop {patterns} printed nothing: {done['err']}"
        return values

    def state(self, device: str, prop: str) -> str:
        """The property's state as the driver reports it (``indi_getprop -1``... `_STATE`)."""
        return self.getprop(f"{device}.{prop}._STATE")[f"{device}.{prop}._STATE"]

    def start(self) -> None:
        self._command("start")

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(10.0)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log(self) -> str:
        path = self.home / "indiserver.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def _command(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        self._expect(command, 20.0)

    def _expect(self, line: str, timeout: float) -> None:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        got = self.process.stdout.readline().strip() if ready else ""
        if got != line:
            self.process.kill()
            raise RuntimeError(f"the namespaced indiserver helper said {got!r}, not {line!r} "
                               f"(exit code {self.process.poll()})\n{self.log()}")


class TcpRelay:
    """127.0.0.1:port relayed to the namespaced indiserver's socket: what a configuration
    (host:port) and the ``pyros`` command in a subprocess need to reach it."""

    def __init__(self, socket_path: str) -> None:
        from pyros.ports import free_port

        self.socket_path = socket_path
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self.server = self.loop.run_until_complete(
            asyncio.start_server(self._relay, "127.0.0.1", self.port))
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            far_reader, far_writer = await asyncio.open_unix_connection(self.socket_path)
        except OSError:
            writer.close()
            return
        await asyncio.gather(self._pipe(reader, far_writer), self._pipe(far_reader, writer),
                             return_exceptions=True)

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(1 << 16):
                writer.write(data)
                await writer.drain()
        writer.close()

    def close(self) -> None:
        async def stop() -> None:
            self.server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture(scope="module")
def indiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NamespacedIndiserver]:
    if shutil.which("indiserver") is None:
        pytest.skip("indiserver is not installed (Debian package indi-bin)")
    server = NamespacedIndiserver(tmp_path_factory.mktemp("indi"))
    yield server
    server.stop()
