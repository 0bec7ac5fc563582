"""The supervisor: starts the web server (with its job runner, :mod:`pyros.jobs`) and
the agents of one computer as child processes, restarts those that die (with
back-off), and stops them all.

It is a small loop over ``subprocess`` rather than a general process manager (circus,
supervisord) because what it must do on a death is PyROS's own business: end the dead
agent's RUNNING commands as KILLED at once, count the restart in the agent's heartbeat
row, and log it where the System page shows it.

    python -m pyros.agents.supervisor --computer main --agents agentA,agentB --web 127.0.0.1:8000
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

FIRST_BACKOFF = 0.5  # seconds before the first restart
MAX_BACKOFF = 30.0
STABLE_AFTER = 60.0  # a child that ran this long starts again from FIRST_BACKOFF
STOP_TIMEOUT = 10.0
#: Wall seconds without a new heartbeat after which a live agent process is taken for
#: hung (a deadlock, SIGSTOP, a command that froze its loop), killed and restarted.
#: An agent beats every second; the margin covers a machine so loaded that a beat (a
#: database write) waits, and ``PYROS_AGENT_HUNG_AFTER`` changes it.
HUNG_AFTER = 120.0
HUNG_VARIABLE = "PYROS_AGENT_HUNG_AFTER"
BEATS_EVERY = 2.0  # wall seconds between two looks at the heartbeats
START_GRACE = 300.0  # before its first beat: importing Django and astropy on a busy machine
#: Beside the pid file: each child's pid, start (epoch seconds), restarts and last exit.
CHILDREN_FILE = "children.json"


@dataclass
class Child:
    name: str
    argv: list[str]
    is_agent: bool
    process: subprocess.Popen | None = None
    started: float = 0.0
    next_start: float = 0.0
    backoff: float = FIRST_BACKOFF
    restarts: int = 0
    finished: bool = False  # exited on purpose: not restarted
    exit_codes: list[int] = field(default_factory=list)
    last_beat: object = None  # the heartbeat last seen (the run clock's time)
    beat_seen: float = 0.0  # when it last changed (wall, monotonic)
    hung: str = ""  # why it was killed, when it was for hanging


class Supervisor:
    def __init__(self, computer: str, agents: list[str], web: str | None,
                 test_mode: bool = False, pid_file: Path | None = None,
                 simulators: bool = False, fault_scenario: Path | None = None,
                 plc_scenario: Path | None = None) -> None:
        from pyros import paths

        self.computer = computer
        # What each child is (pid, start, deaths), for `pyros start` to say what is slow.
        self.children_file = pid_file.with_name(CHILDREN_FILE) if pid_file else None
        self.test_mode = test_mode
        self.pid_file = pid_file
        self.stopping = threading.Event()
        self.signalled = False
        python = sys.executable
        self.children: list[Child] = []
        self.hung_after = _hung_after()
        self.next_beat_check = 0.0
        # Where the web site runs, the mails it could not send are retried from here:
        # a thread, so that a slow mail server never delays watching the children.
        self.mailer = threading.Thread(target=self._retry_mails, name="mail-retry",
                                       daemon=True) if web else None
        if web:
            from pyros.config.loader import active_config
            from pyros.web.serving import gunicorn_argv, ocs_binds

            unit = active_config()
            self.children.append(Child("web", gunicorn_argv(
                python, web, unit.web, pid_file=paths.run_dir() / "web.pid",
                access_log=paths.logs_dir() / "web-access.log",
                error_log=paths.logs_dir() / "web.log",
                extra_binds=ocs_binds(web, unit.ocs)), is_agent=False))
            # The long work the web site queues (pyros.jobs) runs beside it.
            self.children.append(Child("jobs", [python, "-m", "pyros.jobs.runner"],
                                       is_agent=False))
        if simulators:  # the simulated observatory, started before the agents that use it
            from pyros.config.loader import active_config

            plc_port = active_config().plc_address()[1]
            devices = [python, "-m", "pyros.simulators.server"]
            if fault_scenario:
                devices += ["--scenario", str(fault_scenario)]
            plc = [python, "-m", "pyros.plc.simulator", "--port", str(plc_port)]
            if plc_scenario:
                plc += ["--scenario", str(plc_scenario)]
            self.children.append(Child("sim-devices", devices, is_agent=False))
            self.children.append(Child("sim-plc", plc, is_agent=False))
        if "alerts" in agents:  # the local VOEvent broker feeds the alerts agent
            self.children.append(Child("broker", [python, "-m", "pyros.alerts.broker"],
                                       is_agent=False))
        for agent in agents:
            argv = [python, "-m", "pyros.agents.run", agent, "--computer", computer]
            if test_mode:
                argv.append("--test")
            self.children.append(Child(agent, argv, is_agent=True))

    # --- the loop ----------------------------------------------------------------------

    def run(self) -> int:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)
        if self.pid_file:
            self.pid_file.write_text(str(os.getpid()))
        self._reset_restart_counts()
        if self.mailer is not None:
            self.mailer.start()
        try:
            while not self.stopping.is_set() and not self.signalled:
                now = time.monotonic()
                for child in self.children:
                    self._watch(child, now)
                if now >= self.next_beat_check:
                    self.next_beat_check = now + BEATS_EVERY
                    self._check_heartbeats(now)
                if self.test_mode and all(c.finished for c in self.children if c.is_agent):
                    break
                time.sleep(0.05)
        finally:
            self.stopping.set()
            self._stop_all()
            if self.pid_file:
                self.pid_file.unlink(missing_ok=True)
            if self.children_file:
                self.children_file.unlink(missing_ok=True)
        if self.test_mode:
            return max((max(c.exit_codes, default=1) for c in self.children if c.is_agent),
                       default=0)
        return 0

    def _on_signal(self, signum: int, frame: object) -> None:
        """SIGTERM, SIGINT: a flag the loop reads, nothing that takes a lock. A handler
        calling ``Event.set()`` deadlocks when the signal lands while the main thread
        holds that event's own lock inside ``Event.wait()`` (which this loop called 20
        times a second). One fault night in nine ended with a supervisor deaf to
        SIGTERM: ``pyros stop`` SIGKILLed it after 20 s, leaving every agent, the web
        server and the simulators running; this deadlock is the way found for it."""
        self.signalled = True

    def _retry_mails(self) -> None:
        from pyros.mail.outbox import run_periodically

        run_periodically(self.stopping)

    def _reset_restart_counts(self) -> None:
        from pyros.agents.models import AgentSurvey

        names = [c.name for c in self.children if c.is_agent]
        AgentSurvey.objects.filter(name__in=names, computer=self.computer).update(restarts=0)

    def _watch(self, child: Child, now: float) -> None:
        if child.finished:
            return
        if child.process is None:
            if now >= child.next_start:
                self._start(child, now)
            return
        code = child.process.poll()
        if code is None:
            return
        _kill_group(child.process.pid)
        child.process = None
        child.exit_codes.append(code)
        if code == 0 or self.test_mode:
            child.finished = True
            self._log(child, "INFO", f"{child.name} exited with code {code}; not restarted")
            return
        if now - child.started >= STABLE_AFTER:
            child.backoff = FIRST_BACKOFF
        delay, child.backoff = child.backoff, min(child.backoff * 2, MAX_BACKOFF)
        child.next_start = now + delay
        child.restarts += 1
        self._record_death(child, code, delay)
        self._write_children()

    def _start(self, child: Child, now: float) -> None:
        # A process group of its own: when the child dies, whatever it started dies with
        # it. gunicorn's workers outlived a master killed by SIGKILL for some ten seconds,
        # holding the port, and the new master could not bind it.
        child.process = subprocess.Popen(child.argv, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        child.started = now
        child.last_beat, child.beat_seen = None, now
        self._write_children()

    def _write_children(self) -> None:
        """Publish the children's processes (written atomically) for `pyros start`'s
        wait: it names a slow part and says what it is doing from this and the
        heartbeats."""
        if self.children_file is None:
            return
        state = {c.name: {"pid": c.process.pid if c.process else None,
                          "started": time.time() - (time.monotonic() - c.started)
                          if c.process else None,
                          "restarts": c.restarts,
                          "last_exit": c.exit_codes[-1] if c.exit_codes else None}
                 for c in self.children}
        part = self.children_file.with_name(self.children_file.name + ".part")
        try:
            part.write_text(json.dumps(state))
            part.replace(self.children_file)
        except OSError as exc:
            print(f"supervisor: could not write {self.children_file}: {exc}", file=sys.stderr)

    def _check_heartbeats(self, now: float) -> None:
        """Kill a live agent whose heartbeat has not changed for ``hung_after`` wall
        seconds: its death is then seen and it restarts as any dead agent does. The beat
        is compared with the last one seen, never with a clock: agents beat on the run's
        clock, which a simulated night runs faster than the wall's."""
        watched = [c for c in self.children if c.is_agent and c.process is not None
                   and c.process.poll() is None]
        if not watched:
            return
        try:
            from pyros.agents.models import AgentSurvey

            rows = AgentSurvey.objects.filter(
                name__in=[c.name for c in watched], computer=self.computer,
                pid__in=[c.process.pid for c in watched]).values_list(
                "name", "last_beat", "validity")
            beats = {name: beat for name, beat, _ in rows}
            validity = {name: valid for name, _, valid in rows}
        except Exception as exc:  # the database down is not the agents' fault
            print(f"supervisor: cannot read the heartbeats: {exc}", file=sys.stderr)
            _forget_connection()
            for child in watched:
                child.beat_seen = now
            return
        for child in watched:
            beat = beats.get(child.name)
            if beat is not None and beat != child.last_beat:
                child.last_beat, child.beat_seen = beat, now
                continue
            silent = now - child.beat_seen
            # An agent that says its beat stays valid longer (the scheduler, whose plan
            # holds its loop for its time limit) is not hung before that.
            limit = max(self.hung_after, float(validity.get(child.name) or 0.0))
            if child.last_beat is None:
                limit = max(limit, START_GRACE)
            if silent >= limit:
                child.hung = (f"no heartbeat for {silent:.0f} s (PYROS_AGENT_HUNG_AFTER="
                              f"{self.hung_after:g}): killed as hung")
                child.process.kill()

    def _record_death(self, child: Child, code: int, delay: float) -> None:
        how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
        if child.hung:
            how, child.hung = f"{child.hung}, signal {-code}", ""
        message = f"{child.name} died ({how}); restart {child.restarts} in {delay:g} s"
        try:
            if child.is_agent:
                from pyros import clock
                from pyros.agents import bus
                from pyros.agents.models import AgentSurvey

                killed = bus.kill_running(child.name, f"{child.name}@{self.computer}:",
                                          f"the agent died while executing it ({how})")
                if killed:
                    message += f"; its running commands {killed} ended KILLED"
                AgentSurvey.objects.filter(name=child.name, computer=self.computer).update(
                    restarts=child.restarts, last_restart=clock.now(), status=f"DIED ({how})")
        except Exception as exc:  # the database may be what failed: restart anyway
            message += f" (could not record it: {exc})"
            _forget_connection()
        self._log(child, "WARNING", message)

    def _log(self, child: Child, level: str, message: str) -> None:
        import logging

        print(f"supervisor: {message}", file=sys.stderr, flush=True)
        if not child.is_agent:
            return
        try:
            from pyros import clock
            from pyros.agents.models import AgentLog

            AgentLog.objects.create(agent=child.name, computer=self.computer,
                                    level=logging.getLevelName(level),
                                    message=f"supervisor: {message}", created_at=clock.now())
        except Exception as exc:
            print(f"supervisor: could not log to the database: {exc}", file=sys.stderr)
            _forget_connection()

    def _stop_all(self) -> None:
        running = [c for c in self.children if c.process is not None]
        for child in running:
            child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for child in running:
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
            _kill_group(child.process.pid)


def _kill_group(pid: int) -> None:
    """SIGKILL what is left of a dead child's process group (its own workers, helpers it
    spawned): orphans would keep its ports and files, and run on unwatched."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _forget_connection() -> None:
    """After a database error, drop the connection: Django never reopens a broken one by
    itself outside a web request, so a database server restarted once would otherwise
    leave the supervisor blind to hung agents (every later read failing) for good."""
    from django.db import connection

    try:
        connection.close()
    except Exception as exc:
        print(f"supervisor: could not close the database connection: {exc}",
              file=sys.stderr)


def _hung_after() -> float:
    text = os.environ.get(HUNG_VARIABLE, "")
    try:
        value = float(text) if text else HUNG_AFTER
    except ValueError:
        value = HUNG_AFTER
    return value if value >= 1.0 else HUNG_AFTER


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pyros-supervisor", description=__doc__)
    parser.add_argument("--computer", required=True)
    parser.add_argument("--agents", default="", help="comma-separated agent names")
    parser.add_argument("--web", help="host:port for the web server; none if absent")
    parser.add_argument("--test", action="store_true")
    parser.add_argument("--pid-file", type=Path)
    parser.add_argument("--simulators", action="store_true",
                        help="also run the simulated devices and PLC")
    parser.add_argument("--scenario", type=Path, help="the simulated devices' fault scenario")
    parser.add_argument("--plc-scenario", type=Path, help="the simulated PLC's scenario")
    options = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pyros.config.settings")
    import django

    django.setup()
    from pyros import clock

    clock.install_from_environment()
    agents = [a for a in options.agents.split(",") if a]
    supervisor = Supervisor(options.computer, agents, options.web, options.test,
                            options.pid_file, options.simulators, options.scenario,
                            options.plc_scenario)
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
