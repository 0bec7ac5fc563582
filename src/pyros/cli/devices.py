"""``pyros device``: the unit's devices from the command line, through the same
interfaces the agents use, whatever the backend."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import click

from pyros.devices.errors import DeviceError


def _devices():
    from pyros.config.loader import ConfigError, active_config
    from pyros.devices.factory import UnsupportedBackend, build_devices

    try:
        return build_devices(active_config())
    except (ConfigError, UnsupportedBackend) as exc:
        raise click.ClickException(str(exc)) from exc


def _jsonable(value):
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value) if not isinstance(value, int | float | bool | type(None) | str) else value


def _report(status) -> dict:
    """A status as flat values; a weather station's readings as ``name=value unit``."""
    values = asdict(status)
    readings = values.pop("readings", None)
    report = {k: _jsonable(v) for k, v in values.items()}
    for reading in readings or ():
        value = reading["value"]
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        report[reading["name"]] = (f"{shown} {reading['unit']}".strip() if reading["valid"]
                                   else f"{shown} (invalid)")
    return report


def _run(action, *args, **kwargs):
    try:
        return action(*args, **kwargs)
    except DeviceError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group()
def device() -> None:
    """The mount, dome, cameras, filter wheels, focuser and weather stations."""


@device.command("status")
@click.option("--json", "as_json", is_flag=True)
@click.option("--timeout", type=float, default=3.0, show_default=True)
def status(as_json: bool, timeout: float) -> None:
    """Every device's status; an unreachable device is reported, not fatal."""
    devices = _devices()
    everything = {"mount": devices.mount, **devices.domes, **devices.focusers,
                  **{f"camera {n}": c for n, c in devices.cameras.items()},
                  **{f"filters {n}": w for n, w in devices.filter_wheels.items()},
                  **{f"weather {n}": w for n, w in devices.weather_stations.items()}}
    report = {}
    for label, dev in everything.items():
        try:
            report[label] = _report(dev.status(timeout))
        except DeviceError as exc:
            report[label] = {"connected": False, "error": exc.reason}
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    for label, values in report.items():
        shown = ", ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}"
                          for k, v in values.items() if k != "time")
        click.echo(f"{label}: {shown}")


@device.group()
def mount() -> None:
    """The mount."""


@mount.command("slew")
@click.option("--ra", type=float, required=True, help="ICRS right ascension, degrees")
@click.option("--dec", type=float, required=True, help="ICRS declination, degrees")
@click.option("--no-wait", is_flag=True, help="Return once the mount accepted the order.")
def slew(ra: float, dec: float, no_wait: bool) -> None:
    """Point at RA/Dec and track (refused below the horizon or past the limits)."""
    devices = _devices()
    _run(devices.mount.unpark)
    _run(devices.mount.slew, ra, dec, wait=not no_wait)
    s = _run(devices.mount.status)
    click.echo(f"mount at RA {s.ra:.4f} Dec {s.dec:+.4f} (alt {s.alt:.1f}, az {s.az:.1f})"
               + (", slewing" if s.slewing else ""))


@mount.command("park")
@click.option("--no-wait", is_flag=True)
def park(no_wait: bool) -> None:
    """Park the mount."""
    devices = _devices()
    _run(devices.mount.park, wait=not no_wait)
    click.echo("mount parked" if not no_wait else "mount parking")


@device.command("dome")
@click.argument("action", type=click.Choice(["open", "close", "park"]))
@click.option("--no-wait", is_flag=True)
def dome(action: str, no_wait: bool) -> None:
    """Open or close the shutter, or park the dome."""
    the_dome = _devices().dome
    if the_dome is None:
        raise click.ClickException("the unit has no dome")
    _run(getattr(the_dome, action), wait=not no_wait)
    click.echo(f"dome: shutter {_run(the_dome.status).shutter}")


@device.group()
def camera() -> None:
    """The cameras of the channels."""


@camera.command("expose")
@click.option("--channel", required=True, help="Channel name, detector or camera device.")
@click.option("--seconds", type=click.FloatRange(0, 3600), required=True)
@click.option("--filter", "filter_name", help="Set this filter first.")
@click.option("--type", "frame_type", type=click.Choice(["light", "dark", "bias", "flat"]),
              default="light", show_default=True)
@click.option("--binning", type=click.IntRange(1, 4), default=1, show_default=True)
@click.option("--object", "object_name", default="")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def expose(channel: str, seconds: float, filter_name: str | None, frame_type: str,
           binning: int, object_name: str, out: Path) -> None:
    """Take one image and write it as FITS."""
    from pyros.config.loader import active_config
    from pyros.devices.interfaces import FrameType

    try:
        name = active_config().channel(channel).name
    except KeyError as exc:
        raise click.ClickException(str(exc.args[0])) from exc
    devices = _devices()
    if filter_name:
        _run(devices.filter_wheels[name].set_filter, filter_name)
    path = _run(devices.cameras[name].expose, seconds, out, frame_type=FrameType(
        frame_type.upper()), binning=binning, object_name=object_name)
    click.echo(str(path))


@device.command("discover")
@click.option("--address", default="255.255.255.255", show_default=True,
              help="Where the discovery datagram goes: the broadcast address, or one host.")
@click.option("--port", type=click.IntRange(1, 65535), default=32227, show_default=True,
              help="Alpaca's UDP discovery port.")
@click.option("--timeout", type=click.FloatRange(0.1, 30), default=2.0, show_default=True,
              help="Seconds to wait for answers.")
@click.option("--json", "as_json", is_flag=True)
def discover(address: str, port: int, timeout: float, as_json: bool) -> None:
    """Find ASCOM Alpaca servers and list their devices, as [devices] entries."""
    from pyros.devices.alpaca.discovery import configured_devices
    from pyros.devices.alpaca.discovery import discover as find_servers

    try:
        servers = find_servers(address, port, timeout)
    except OSError as exc:
        raise click.ClickException(f"cannot send the discovery datagram to {address}:{port}: "
                                   f"{exc.strerror or exc}") from exc
    found = []
    for server in servers:
        try:
            devices = [vars(d) | {"kind": d.kind} for d in configured_devices(server.address)]
            found.append({"server": server.address, "devices": devices})
        except DeviceError as exc:
            found.append({"server": server.address, "error": exc.reason, "devices": []})
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    if not found:
        click.echo(f"no Alpaca server answered on {address}:{port} within {timeout:g} s")
        return
    for entry in found:
        click.echo(f"# Alpaca server {entry['server']}"
                   + (f": {entry['error']}" if "error" in entry else ""))
        for d in entry["devices"]:
            if d["kind"] is None:
                click.echo(f"#   {d['device_type']} {d['number']} ({d['name']}): not driven "
                           "by PyROS")
                continue
            name = "".join(c if c.isalnum() else "_" for c in d["name"].lower()).strip("_")
            lines = [f"[devices.{name or d['device_type']}]", f'kind = "{d["kind"]}"',
                     'backend = "alpaca"', f'address = "{d["server"]}"',
                     f"alpaca_device = {d['number']}"]
            if d["device_type"] == "safetymonitor":
                lines.append('alpaca_type = "safetymonitor"')
            click.echo("\n".join(lines) + "\n")
