"""`pyros init`, `start`, `status` and `stop` as an operator runs them: real processes
(the supervisor and its web server) on free loopback ports, SQLite in a fresh data
directory."""

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from pyros.ports import free_port
from pyros.simulators.thread import example_on_free_ports

PYROS = [sys.executable, "-m", "pyros.cli"]


@pytest.fixture
def operator_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "PYROS_CONFIG", "DJANGO_SETTINGS_MODULE")}
    home = tmp_path / "home"
    env["PYROS_HOME"] = str(home)
    # The example unit with its simulators on free ports: never on the usual ones, which
    # a PyROS running on this machine, or another test, may hold.
    home.mkdir()
    (home / "unit.toml").write_text(example_on_free_ports())
    return env


def pyros(env, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([*PYROS, *args], env=env, capture_output=True, text=True,
                            timeout=240, check=False)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.mark.whole_pyros
def test_start_serves_the_site_and_stop_stops_it(operator_env):
    refused = pyros(operator_env, "start", check=False)
    assert refused.returncode == 1 and "run `pyros init`" in refused.stderr
    pyros(operator_env, "init", "--admin-password", "admin-pw-123")
    port = free_port()
    started = pyros(operator_env, "start", "--port", str(port))
    try:
        assert f"web: running at http://127.0.0.1:{port}/" in started.stdout
        status = json.loads(pyros(operator_env, "status", "--json").stdout)
        assert status["supervisor"]["running"] and status["web"]["answering"]
        home = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).read().decode()
        assert "San Pedro Martir (example)" in home and "Weather" in home
        css = urllib.request.urlopen(f"http://127.0.0.1:{port}/static/pyros/pyros.css",
                                     timeout=10)
        assert css.status == 200
        schema = urllib.request.urlopen(f"http://127.0.0.1:{port}/api/schema/", timeout=10)
        assert b"openapi" in schema.read()
        assert "simulated devices and PLC: running" in started.stdout
        devices = json.loads(pyros(operator_env, "device", "status", "--json").stdout)
        assert devices["mount"]["connected"] and devices["dome"]["shutter"] == "CLOSED"
    finally:
        stopped = pyros(operator_env, "stop")
    assert "stopped (supervisor pid" in stopped.stdout
    after = pyros(operator_env, "status", check=False)
    assert after.returncode == 3 and "supervisor: stopped" in after.stdout
