"""``pyros start``, ``stop`` and ``status``: the supervisor, which runs the web server and
the agents of this computer, restarts those that die and stops them all.

The supervisor runs detached, with its pid file in the data directory's ``run`` folder
and its log in ``logs/supervisor.log``, so that ``stop`` and ``status`` find it from
any shell. ``--test`` runs it attached instead, for the test agents' self-test.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import click

from pyros import paths
from pyros.cli.context import require_database_ready, setup_django

START_TIMEOUT = 30.0
STOP_TIMEOUT = 20.0


def _supervisor_pid_file() -> Path:
    return paths.run_dir() / "supervisor.pid"


def _url_file() -> Path:
    return paths.run_dir() / "web.url"


def _alive_pid(pid_file: Path) -> int | None:
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def running_supervisor() -> int | None:
    """The pid of this data directory's supervisor if it runs (``pyros start``)."""
    return _alive_pid(_supervisor_pid_file())


def _answers(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status < 500
    except (urllib.error.URLError, OSError):
        return False


def choose_computer(unit, wanted: str | None):
    """The [[computers]] entry for this machine: ``wanted`` by name, else the one whose
    host is this host name (or localhost), else the first."""
    if wanted:
        for computer in unit.computers:
            if computer.name == wanted:
                return computer
        names = ", ".join(c.name for c in unit.computers)
        raise click.ClickException(f"no computer '{wanted}' in the configuration ({names})")
    here = {socket.gethostname(), socket.getfqdn(), "localhost", "127.0.0.1"}
    return next((c for c in unit.computers if c.host in here), unit.computers[0])


@click.command()
@click.argument("names", required=False, default="")
@click.option("--computer", help="Start this computer's share (default: this host's).")
@click.option("--host", help="Web server address (default: [web] host of the configuration).")
@click.option("--port", type=int, help="Web server port (default: [web] port).")
@click.option("--test", "test_mode", is_flag=True,
              help="Run the agents' self-test attached, and exit with its verdict.")
@click.option("--sim-time", type=click.DateTime(["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]),
              help="Run everything on a simulated clock starting at this UTC time (e.g. "
                   "tonight's 2026-11-22T04:00, to watch a night in the afternoon).")
@click.option("--speed", type=click.FloatRange(min=0.01, max=1000.0), default=1.0,
              help="With --sim-time: simulated seconds per second.")
@click.option("--scenario", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The simulated devices' fault scenario (JSON; see `pyros sim start`).")
@click.option("--plc-scenario", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The simulated PLC's scenario (the guide's format; events at iterations "
                   "or at seconds of the run's clock), e.g. rain in the middle of the night.")
@click.option("--wait", type=click.FloatRange(min=1.0, max=3600.0), default=START_TIMEOUT,
              envvar="PYROS_START_WAIT", show_default=True,
              help="Seconds to wait for everything to answer before giving up (a slow or "
                   "busy computer may need more; env PYROS_START_WAIT).")
def start(names: str, computer: str | None, host: str | None, port: int | None,
          test_mode: bool, sim_time: datetime | None, speed: float, scenario: Path | None,
          plc_scenario: Path | None, wait: float) -> None:
    """Start PyROS on this computer: the web server, the configured agents and, when the
    configuration has simulated devices, the simulated observatory.

    NAMES (e.g. `agentA,agentB`, `web,agentB` or `sim,web`) starts only those."""
    setup_django()
    require_database_ready()
    from django.conf import settings

    from pyros.agents.registry import AGENTS

    unit = settings.UNIT
    chosen = choose_computer(unit, computer)
    simulated = any(d.backend == "sim" for d in unit.devices.values())
    default = ["web", *(["sim"] if simulated and chosen == unit.computers[0] else []),
               *chosen.agents]
    wanted = [n for n in names.split(",") if n] if names else default
    unknown = [n for n in wanted if n not in ("web", "sim") and n not in AGENTS]
    if unknown:
        raise click.ClickException(f"unknown agent {', '.join(unknown)} (agents: "
                                   f"{', '.join(AGENTS)}; web: the web server; sim: the "
                                   "simulated devices and PLC)")
    agents = [n for n in wanted if n not in ("web", "sim")]
    web = None
    if "web" in wanted:
        web = f"{host or unit.web.host}:{port or unit.web.port}"
    # Checked before anything is written: a refused start leaves no run clock behind.
    scenario_argv = _scenario_arguments(scenario, plc_scenario) if "sim" in wanted else []
    _clock_file().unlink(missing_ok=True)
    if sim_time is not None:
        from pyros import clock

        environment = clock.clock_environment(sim_time.replace(tzinfo=UTC), speed)
        os.environ.update(environment)
        # This command waits for the agents' heartbeats, stamped on the run's clock.
        clock.install_from_environment(environment)
        # Other `pyros` commands of this data directory read the run's time from here.
        _clock_file().parent.mkdir(parents=True, exist_ok=True)
        _clock_file().write_text(json.dumps(environment))
    argv = [sys.executable, "-m", "pyros.agents.supervisor", "--computer", chosen.name,
            "--agents", ",".join(agents)]
    if web:
        argv += ["--web", web]
    if "sim" in wanted:
        argv.append("--simulators")
        argv += scenario_argv
    elif scenario or plc_scenario:
        raise click.ClickException("--scenario and --plc-scenario are for the simulated "
                                   "observatory, which this start does not run")
    if test_mode:
        if web:
            raise click.ClickException("--test runs agents only: name them, e.g. "
                                       "`pyros start agentA,agentB --test`")
        sys.exit(subprocess.run([*argv, "--test"], check=False).returncode)

    pid = _alive_pid(_supervisor_pid_file())
    if pid:
        raise click.ClickException(f"PyROS is already running here (supervisor pid {pid}); "
                                   "`pyros stop` first")
    sim_ports = simulated_addresses(unit) if "sim" in wanted else []
    taken = [address for address in sim_ports if listening(address)]
    if taken:
        raise click.ClickException(
            f"{', '.join(taken)} already answer: another PyROS or simulator runs on this "
            "machine (`pyros stop` it, or give this unit's simulated devices other ports)")
    paths.ensure_data_dirs()
    url = f"http://{web}/" if web else ""
    _url_file().write_text(url)
    log = (paths.logs_dir() / "supervisor.log").open("ab")
    subprocess.Popen([*argv, "--pid-file", str(_supervisor_pid_file())], stdin=subprocess.DEVNULL,
                     stdout=log, stderr=log, start_new_session=True)
    _wait_started(url, agents, chosen.name, sim_ports, wait)


def _scenario_arguments(scenario: Path | None, plc_scenario: Path | None) -> list[str]:
    """The supervisor's arguments for the simulators' scenarios, checked here: a bad file
    would otherwise only show as a simulator that keeps dying."""
    from pyros.plc.simulator import make_player
    from pyros.simulators.server import load_faults

    argv: list[str] = []
    try:
        if scenario:
            load_faults(scenario)
            argv += ["--scenario", str(scenario.resolve())]
        if plc_scenario:
            make_player(plc_scenario)
            argv += ["--plc-scenario", str(plc_scenario.resolve())]
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    return argv


def simulated_addresses(unit) -> list[str]:
    """``host:port`` of every simulated device, the PLC included."""
    return [d.address for d in unit.devices.values() if d.backend == "sim"]


def listening(address: str) -> bool:
    """Something answers at ``host:port``."""
    host, port = address.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=0.5):
            return True
    except OSError:
        return False


def _wait_started(url: str, agents: list[str], computer: str, sim_ports: list[str],
                  wait: float) -> None:
    from pyros import clock
    from pyros.agents.models import AgentSurvey

    deadline = time.monotonic() + wait
    started_after = clock.now()
    while time.monotonic() < deadline:
        web_ok = not url or _answers(url, timeout=1.0)
        beating = set(AgentSurvey.objects.filter(
            name__in=agents, computer=computer, last_beat__gte=started_after,
            pid__isnull=False).values_list("name", flat=True))
        sim_ok = all(listening(address) for address in sim_ports)
        if web_ok and sim_ok and beating >= set(agents) and _alive_pid(_supervisor_pid_file()):
            click.echo(f"supervisor: running (pid {_alive_pid(_supervisor_pid_file())}) "
                       f"on computer {computer}")
            if url:
                click.echo(f"web: running at {url}")
            if sim_ports:
                click.echo("simulated devices and PLC: running")
            for agent in agents:
                click.echo(f"{agent}: running")
            return
        time.sleep(0.1)
    log = paths.logs_dir() / "supervisor.log"
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise click.ClickException(f"PyROS did not come up within {wait:g} s; "
                               f"logs/supervisor.log ends with:\n{tail}")


def _clock_file() -> Path:
    return paths.run_dir() / "clock.json"


@click.command()
def stop() -> None:
    """Stop the web server and the agents that `pyros start` started here."""
    pid = _alive_pid(_supervisor_pid_file())
    _clock_file().unlink(missing_ok=True)
    if pid is None:
        click.echo("PyROS is not running here")
        _supervisor_pid_file().unlink(missing_ok=True)
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline and _alive_pid(_supervisor_pid_file()) == pid:
        time.sleep(0.1)
    if _alive_pid(_supervisor_pid_file()) == pid:
        os.kill(pid, signal.SIGKILL)
        _supervisor_pid_file().unlink(missing_ok=True)
    click.echo(f"stopped (supervisor pid {pid})")


def _status_report() -> dict:
    from django.db.utils import DatabaseError

    from pyros import clock

    pid = _alive_pid(_supervisor_pid_file())
    url = _url_file().read_text().strip() if pid and _url_file().exists() else ""
    report = {"supervisor": {"running": pid is not None, "pid": pid},
              "web": {"url": url or None, "answering": bool(url) and _answers(url)},
              "agents": []}
    try:
        from pyros.agents.models import AgentSurvey

        now = clock.now()
        for survey in AgentSurvey.objects.all():
            alive = survey.is_alive(now)
            report["agents"].append({
                "name": survey.name, "computer": survey.computer, "alive": alive,
                "pid": survey.pid, "mode": survey.mode, "status": survey.status,
                "uptime": round((now - survey.started_at).total_seconds(), 1)
                if alive and survey.started_at else None,
                "restarts": survey.restarts,
                "last_beat": survey.last_beat.isoformat() if survey.last_beat else None})
    except DatabaseError as exc:
        report["database_error"] = str(exc)
    return report


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(as_json: bool) -> None:
    """Say what runs: the supervisor, the web server and every agent (state, pid,
    uptime, restarts, last heartbeat). Exits 3 when the supervisor is not running."""
    setup_django()
    report = _status_report()
    if as_json:
        click.echo(json.dumps(report))
    else:
        sup, web = report["supervisor"], report["web"]
        click.echo(f"supervisor: running (pid {sup['pid']})" if sup["running"]
                   else "supervisor: stopped")
        if web["url"]:
            click.echo(f"web: {web['url']} {'answering' if web['answering'] else 'NOT answering'}")
        from rich.console import Console
        from rich.table import Table

        if report["agents"]:
            table = Table()
            for column in ("agent", "computer", "state", "pid", "mode", "status", "uptime s",
                           "restarts", "last beat"):
                table.add_column(column)
            for a in report["agents"]:
                table.add_row(a["name"], a["computer"], "alive" if a["alive"] else "dead",
                              str(a["pid"] or "-"), a["mode"], a["status"],
                              str(a["uptime"] or "-"), str(a["restarts"]),
                              (a["last_beat"] or "-")[:19])
            Console().print(table)
    if not report["supervisor"]["running"]:
        sys.exit(3)
