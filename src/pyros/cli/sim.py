"""``pyros sim``: the simulated devices and PLC, as background processes of their own,
and the transients of the simulated sky."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click

from pyros import clock, paths
from pyros.simulators import transients


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


def _number(name: str, text: str | None, low: float, high: float) -> float:
    """A finite number within [low, high] from an option, or a clear error (exit 1)."""
    if text is None:
        raise click.ClickException(f"--{name} is required to register a transient")
    try:
        value = float(text)
    except ValueError:
        raise click.ClickException(f"--{name} {text!r} is not a number") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise click.ClickException(f"--{name} {text} outside {low:g}..{high:g}")
    return value


@sim.command("transient")
@click.option("--ra", help="Right ascension, ICRS degrees (0..360).")
@click.option("--dec", help="Declination, ICRS degrees (-90..90).")
@click.option("--mag", help="Magnitude one reference time (60 s) after t0.")
@click.option("--decay", help="Power-law index alpha: flux ~ t^-alpha.  [default: "
              f"{transients.DEFAULT_AFTERGLOW_DECAY:g}]")
@click.option("--t0", help="When it lit up, ISO 8601 (UTC if no zone); default: now, on "
              "the run's clock.")
@click.option("--clear", is_flag=True, help="Remove every registered transient.")
@click.option("--list", "show", is_flag=True, help="List the registered transients.")
def transient(ra: str | None, dec: str | None, mag: str | None, decay: str | None,
              t0: str | None, clear: bool, show: bool) -> None:
    """Put a fading point source in the simulated sky (the simulated camera shows it from
    its next LIGHT frame), or --list or --clear them."""
    adding = any(v is not None for v in (ra, dec, mag, decay, t0))
    if clear + show + adding > 1:
        raise click.ClickException("give a transient (--ra --dec --mag), or --list, "
                                   "or --clear: one at a time")
    if clear:
        click.echo(f"cleared {transients.clear_transients()} transient(s)")
        return
    if show or not adding:
        _list_transients()
        return
    alpha = transients.DEFAULT_AFTERGLOW_DECAY if decay is None \
        else _number("decay", decay, -10.0, 10.0)
    try:
        start = clock.now() if t0 is None else transients.parse_time(t0)
        added = transients.Transient(
            ra=_number("ra", ra, 0.0, 360.0) % 360.0, dec=_number("dec", dec, -90.0, 90.0),
            magnitude=_number("mag", mag, -30.0, 40.0), t0=start, decay=alpha)
        transients.register_transient(added)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"transient at ra {added.ra:.5f} dec {added.dec:+.5f}: magnitude "
               f"{added.magnitude:.2f} {added.reference:g} s after "
               f"{added.t0.isoformat()}, decay index {added.decay:g}")


def _list_transients() -> None:
    registered = transients.registered_transients()
    if not registered:
        click.echo("no transient registered")
        return
    now = clock.now()
    for t in registered:
        current = t.magnitude_at(now)
        shown = "not yet lit" if math.isinf(current) else f"now {current:.2f}"
        click.echo(f"ra {t.ra:9.5f} dec {t.dec:+9.5f}  mag {t.magnitude:5.2f} at "
                   f"t0+{t.reference:g} s  decay {t.decay:g}  t0 {t.t0.isoformat()}  "
                   f"({shown})")


@sim.command("alpaca")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=11111, show_default=True)
@click.option("--discovery-port", type=click.IntRange(1, 65535), default=32227,
              show_default=True, help="UDP port answering Alpaca discovery.")
@click.option("--speed", type=click.FloatRange(0.01, 1000), default=1.0, show_default=True)
def alpaca(host: str, port: int, discovery_port: int, speed: float) -> None:
    """Serve the unit's devices as an ASCOM Alpaca server (in the foreground, Ctrl-C
    stops it) and print the [devices] entries that use it (docs/alpaca.md)."""
    from pyros.config.loader import ConfigError, active_config
    from pyros.simulators.alpaca.common import SimClock
    from pyros.simulators.alpaca.server import AlpacaSimulator
    from pyros.simulators.alpaca.unit import devices_for_unit, unit_on_alpaca

    try:
        unit = active_config()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        simulator = AlpacaSimulator(host, port, discovery_port, speed,
                                    devices_for_unit(unit, SimClock(speed)))
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port} / UDP "
                                   f"{discovery_port}: {exc.strerror or exc}") from exc
    on_alpaca = unit_on_alpaca(unit, simulator.address)
    click.echo(f"# Alpaca server on {simulator.address}, discovery on UDP {discovery_port}")
    for name, device in on_alpaca.devices.items():
        if device.backend != "alpaca":
            continue
        extra = f'\nalpaca_type = "{device.alpaca_type}"' if device.alpaca_type else ""
        click.echo(f'[devices.{name}]\nkind = "{device.kind}"\nbackend = "alpaca"\n'
                   f'address = "{device.address}"\nalpaca_device = {device.alpaca_device}'
                   f"{extra}\n")
    for channel in on_alpaca.channels:
        click.echo(f"# [[channels]] {channel.name}: camera = \"{channel.camera}\", "
                   f"filter_wheel = \"{channel.filter_wheel}\"")
    sys.stdout.flush()  # the entries show at once, even in a pipe or a log
    simulator.start()
    try:
        while True:
            time.sleep(1.0)
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()
