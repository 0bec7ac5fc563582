"""``pyros sim``: the simulated devices and PLC, as background processes of their own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click

from pyros import paths


def _pid_file(name: str) -> Path:
    return paths.run_dir() / f"{name}.pid"


def _alive(name: str) -> int | None:
    try:
        pid = int(_pid_file(name).read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def _spawn(name: str, argv: list[str]) -> int:
    paths.ensure_data_dirs()
    log = (paths.logs_dir() / f"{name}.log").open("ab")
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                               start_new_session=True)
    _pid_file(name).write_text(str(process.pid))
    time.sleep(0.5)
    if process.poll() is not None:
        tail = (paths.logs_dir() / f"{name}.log").read_text(errors="replace")[-1500:]
        raise click.ClickException(f"{name} stopped at once; its log ends with:\n{tail}")
    return process.pid


def _stop(name: str) -> bool:
    pid = _alive(name)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while _alive(name) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(name):
        os.kill(pid, signal.SIGKILL)
    _pid_file(name).unlink(missing_ok=True)
    return True


def _refuse_if_served_elsewhere(name: str) -> None:
    """A simulator of ours is not running, yet its port answers: `pyros start` runs the
    simulated observatory under its supervisor (which would restart what we stopped)."""
    from pyros.cli.server import listening, simulated_addresses
    from pyros.config.loader import active_config

    unit = active_config()
    host, port = unit.plc_address()
    addresses = [f"{host}:{port}"] if name == "sim-plc" else simulated_addresses(unit)
    for address in addresses:
        if listening(address):
            raise click.ClickException(
                f"something already serves {address} — `pyros start` runs the simulated "
                "observatory itself: give it the scenarios "
                "(`pyros start --scenario F --plc-scenario F`), or `pyros stop` first")


def _plc_port() -> int:
    from pyros.config.loader import active_config

    return active_config().plc_address()[1]


@click.group()
def sim() -> None:
    """The simulated observatory: devices on their configured ports, and the PLC."""


@sim.command("start")
@click.option("--scenario", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Device fault scenario (JSON).")
@click.option("--plc-scenario", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="PLC scenario in the guide's format.")
@click.option("--speed", type=float, default=1.0, show_default=True,
              help="Simulated time runs this many times faster.")
def start(scenario: Path | None, plc_scenario: Path | None, speed: float) -> None:
    """Start the simulated devices and the PLC simulator in the background."""
    if _alive("sim-devices"):
        raise click.ClickException("the simulators are already running (`pyros sim stop`)")
    _refuse_if_served_elsewhere("sim-devices")
    argv = [sys.executable, "-m", "pyros.simulators.server", "--speed", str(speed)]
    if scenario:
        argv += ["--scenario", str(scenario.resolve())]
    pid = _spawn("sim-devices", argv)
    click.echo(f"simulated devices: running (pid {pid})")
    _start_plc(plc_scenario)


def _start_plc(scenario: Path | None) -> None:
    argv = [sys.executable, "-m", "pyros.plc.simulator", "--port", str(_plc_port())]
    if scenario:
        argv += ["--scenario", str(scenario.resolve())]
    pid = _spawn("sim-plc", argv)
    click.echo(f"simulated PLC: running (pid {pid}) on port {_plc_port()}")


@sim.command("plc")
@click.option("--scenario", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              required=True, help="PLC scenario in the guide's format.")
def plc(scenario: Path) -> None:
    """(Re)start the PLC simulator playing SCENARIO."""
    _stop("sim-plc")
    _refuse_if_served_elsewhere("sim-plc")
    _start_plc(scenario)


@sim.command("stop")
def stop() -> None:
    """Stop the simulated devices and PLC."""
    stopped = [name for name in ("sim-devices", "sim-plc") if _stop(name)]
    click.echo(f"stopped: {', '.join(stopped)}" if stopped else "no simulator was running")
