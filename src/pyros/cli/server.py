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
    from pyros.cli.startup import web_probe

    return web_probe(url, timeout)[0]


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
@click.option("--on-real-data", is_flag=True,
              help="Allow --sim-time on a data directory that is not a sandbox (no "
                   "`sandbox` file in it): the simulated night is written into its "
                   "database and uses up its real requests.")
@click.option("--scenario", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The simulated devices' fault scenario (JSON; see `pyros sim start`).")
@click.option("--plc-scenario", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The simulated PLC's scenario (the guide's format; events at iterations "
                   "or at seconds of the run's clock), e.g. rain in the middle of the night.")
@click.option("--wait", type=click.FloatRange(min=1.0, max=3600.0), default=START_TIMEOUT,
              envvar="PYROS_START_WAIT", show_default=True,
              help="Patience: seconds without any progress (no part coming up, none of "
                   "the starting processes using CPU) before giving up; stretched by the "
                   "machine's load (env PYROS_START_WAIT).")
def start(names: str, computer: str | None, host: str | None, port: int | None,
          test_mode: bool, sim_time: datetime | None, speed: float, scenario: Path | None,
          plc_scenario: Path | None, wait: float, on_real_data: bool) -> None:
    """Start PyROS on this computer: the web server, the configured agents and, when the
    configuration has simulated devices, the simulated observatory.

    NAMES (e.g. `agentA,agentB`, `web,agentB` or `sim,web`) starts only those."""
    if sim_time is not None:
        refuse_sim_time_on_real_data(on_real_data)
    elif on_real_data:
        raise click.ClickException("--on-real-data only goes with --sim-time")
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
    from pyros.agents.supervisor import CHILDREN_FILE

    # A supervisor killed outright leaves its children file: not this start's children.
    (paths.run_dir() / CHILDREN_FILE).unlink(missing_ok=True)
    supervisor = subprocess.Popen([*argv, "--pid-file", str(_supervisor_pid_file())],
                                  stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                  start_new_session=True)
    _wait_started(supervisor, url, agents, chosen.name, sim_ports, wait)


def refuse_sim_time_on_real_data(on_real_data: bool) -> None:
    """A simulated clock on real data plans and executes a future night in the real
    database: refused unless asked for, or the data directory is a sandbox."""
    if on_real_data or paths.is_sandbox():
        return
    raise click.ClickException(
        f"--sim-time on real data: the data directory {paths.data_dir()} is not a sandbox. "
        "A simulated night writes a future night into its database (plans, executions, "
        "images, night log) and uses up its real requests (their sequences get executed "
        "and charged). Try it in a sandbox instead: `pyros demo`, or a PYROS_HOME of its "
        f"own with a `{paths.SANDBOX_MARKER}` file in it; or add --on-real-data if you "
        "mean it.")


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


def _wait_started(supervisor: subprocess.Popen, url: str, agents: list[str], computer: str,
                  sim_ports: list[str], wait: float) -> None:
    """Wait on real readiness (see :mod:`pyros.cli.startup`); on a stall, name the slow
    parts and what they were doing."""
    from pyros import clock
    from pyros.agents.supervisor import START_GRACE
    from pyros.cli import startup

    started_after = clock.now()

    def supervisor_alive() -> bool:
        return supervisor.poll() is None

    def look() -> list[startup.Part]:
        return _look_at_parts(supervisor.pid, url, agents, computer, sim_ports,
                              started_after)

    parts, failure = startup.wait_until_up(
        look, supervisor_alive, wait, START_GRACE,
        lambda line: click.echo(line, err=True))
    if failure is None:
        click.echo(f"supervisor: running (pid {supervisor.pid}) "
                   f"on computer {computer}")
        if url:
            click.echo(f"web: running at {url}")
        if sim_ports:
            click.echo("simulated devices and PLC: running")
        for agent in agents:
            click.echo(f"{agent}: running")
        return
    log = paths.logs_dir() / "supervisor.log"
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    keeps = ("the supervisor keeps running and starting them: `pyros status` follows them, "
             "`pyros stop` ends them; a busy machine may need `--wait` (PYROS_START_WAIT)"
             if supervisor_alive() else "nothing keeps running")
    slow = "\n".join(f"  {p.name}: {p.doing}" for p in parts if not p.ready)
    raise click.ClickException(f"PyROS did not come up: {failure}. Not up:\n{slow}\n"
                               f"{keeps}.\nlogs/supervisor.log ends with:\n{tail}")


def _look_at_parts(supervisor: int, url: str, agents: list[str], computer: str,
                   sim_ports: list[str], started_after: datetime) -> list:
    """Each part `pyros start` waits for, ready or what it is doing."""
    from pyros.agents.models import AgentSurvey
    from pyros.agents.supervisor import CHILDREN_FILE
    from pyros.cli import startup

    children = startup.read_children(paths.run_dir() / CHILDREN_FILE)
    now = time.time()
    cpu = startup.group_cpu_seconds(supervisor)
    # Until it has started its children, the supervisor is the part that works.
    parts = [startup.Part("supervisor", bool(children) and _alive_pid(
        _supervisor_pid_file()) == supervisor,
        f"process {supervisor}{f', {cpu:.1f} s CPU' if cpu is not None else ''}: loading "
        "Django before it starts the others", cpu)]

    def process(name: str) -> tuple[dict | None, float | None]:
        child = children.get(name)
        pid = (child or {}).get("pid")
        return child, startup.group_cpu_seconds(pid) if pid else None

    if url:
        child, cpu = process("web")
        ready, doing = startup.web_probe(url)
        parts.append(startup.Part(
            "web server", ready, f"{startup.describe_process(child, now, cpu)}: {doing}"
            f"{startup.describe_deaths(child)}", cpu, (child or {}).get("restarts") or 0))
    if sim_ports:
        silent = [address for address in sim_ports if not listening(address)]
        child, cpu = process("sim-devices")
        parts.append(startup.Part(
            "simulated devices and PLC", not silent,
            f"{startup.describe_process(child, now, cpu)}: not listening yet on "
            f"{', '.join(silent)}{startup.describe_deaths(child)}", cpu,
            (child or {}).get("restarts") or 0))
    rows = {row.name: row for row in AgentSurvey.objects.filter(name__in=agents,
                                                                computer=computer)}
    for agent in agents:
        row = rows.get(agent)
        child, cpu = process(agent)
        fresh = (row is not None and row.pid is not None and row.last_beat is not None
                 and row.last_beat >= started_after)
        if row is not None and child and row.pid == child.get("pid"):
            doing = f"says {row.status or '?'}, no heartbeat of this start yet"
        else:
            doing = "no heartbeat yet (importing Django, astropy and its devices)"
        parts.append(startup.Part(
            agent, fresh, f"{startup.describe_process(child, now, cpu)}, {doing}"
            f"{startup.describe_deaths(child)}", cpu, (child or {}).get("restarts") or 0))
    return parts


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
