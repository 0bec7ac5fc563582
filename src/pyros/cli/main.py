"""The ``pyros`` command."""

from __future__ import annotations

import click

from pyros import __version__
from pyros.cli.agents import agent
from pyros.cli.alerts import alert
from pyros.cli.analyse import analyse
from pyros.cli.archive import archive
from pyros.cli.backup import backup, restore
from pyros.cli.bench import bench
from pyros.cli.config_cmd import config
from pyros.cli.database import dbshell, init, shell, update
from pyros.cli.demo import demo
from pyros.cli.devices import device
from pyros.cli.focus import focus
from pyros.cli.health import health, report
from pyros.cli.images import images
from pyros.cli.mail import mail
from pyros.cli.observatory import observatory
from pyros.cli.pointing import pointing
from pyros.cli.requests import request
from pyros.cli.schedule import schedule
from pyros.cli.server import start, stop
from pyros.cli.sim import sim
from pyros.cli.status import status
from pyros.cli.users import user
from pyros.cli.weather import weather


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pyros")
def cli() -> None:
    """PyROS runs a robotic telescope: requests, planning, execution, monitoring.

    Files live in the data directory ($PYROS_HOME); the unit configuration is
    $PYROS_CONFIG or unit.toml there; the database is $DATABASE_URL or SQLite there.
    $PYROS_CLOCK_START (with _EPOCH and _SPEED) runs it on a simulated time, as
    `pyros start --sim-time` does (the other commands then follow the run's time)."""
    import contextlib
    import json
    import os

    from pyros import clock, paths

    environment = dict(os.environ)
    run_clock = paths.run_dir() / "clock.json"
    if not environment.get("PYROS_CLOCK_START") and run_clock.exists():
        with contextlib.suppress(OSError, ValueError):  # a broken file: the real time
            environment.update(json.loads(run_clock.read_text()))
    clock.install_from_environment(environment)
    # What this command starts (a simulator, a broker) follows the run's time too.
    os.environ.update({key: value for key, value in environment.items()
                       if key.startswith("PYROS_CLOCK_")})


for command in (init, update, shell, dbshell, start, stop, status, config, request, user, agent,
                bench, device, sim, observatory, weather, schedule, alert, analyse, backup,
                restore, images, archive, mail, health, report, pointing, focus, demo):
    cli.add_command(command)


def main() -> None:
    cli()
