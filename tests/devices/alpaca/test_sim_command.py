"""``pyros sim alpaca``: the unit's devices served as an Alpaca server in the foreground,
with the configuration entries that use it printed first."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time

from pyros.devices.alpaca.discovery import configured_devices, discover
from pyros.ports import free_ports
from pyros.simulators.thread import example_on_free_ports


def _read_until(process: subprocess.Popen, marker: str, timeout: float) -> str:
    """Standard output until it holds ``marker`` (the server is then started): raw reads,
    so that no line waits in a buffer that select() cannot see."""
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    text, end = "", time.monotonic() + timeout
    while marker not in text and time.monotonic() < end:
        if selector.select(timeout=0.5):
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk:
                break
            text += chunk.decode()
    return text


def test_pyros_sim_alpaca_serves_the_units_devices(tmp_path):
    config = tmp_path / "unit.toml"
    config.write_text(example_on_free_ports())
    http, udp = free_ports(2)
    process = subprocess.Popen(
        [sys.executable, "-m", "pyros.cli", "sim", "alpaca", "--port", str(http),
         "--discovery-port", str(udp), "--speed", "10"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**os.environ, "PYROS_CONFIG": str(config)})
    try:
        printed = _read_until(process, "[[channels]] NIR", 60.0)
        assert f'[devices.camera_nir]\nkind = "camera"\nbackend = "alpaca"\n' \
               f'address = "127.0.0.1:{http}"\nalpaca_device = 1\n' in printed, printed
        found = []
        for _ in range(50):  # the server starts right after the last line
            found = discover("127.0.0.1", udp, timeout=0.2)
            if found:
                break
        assert [s.address for s in found] == [f"127.0.0.1:{http}"]
        assert len(configured_devices(found[0].address)) == 9
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
