"""The fault night: ``pyros start`` (supervisor, web server, agents, simulators) on a
private PostgreSQL cluster and a simulated clock, observing a queue of short sequences,
while faults are injected one at a time, each once the night is steady again:

- ``kill -9`` of each agent in turn, while a sequence executes;
- the majordome hung (SIGSTOP): the supervisor kills it after ``PYROS_AGENT_HUNG_AFTER``;
- the PLC link cut (its simulator stopped: connections accepted, nothing answered);
- a camera that stops answering in the middle of an exposure;
- the PostgreSQL server restarted;
- the web server (gunicorn's master) killed.

For each, the row of the table (``report.FaultRow``): when the process was back and
working, what was lost or done twice in the database (commands, sequences), what made
the observatory safe while it could not be sure, and when frames came again.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from pyros import paths
from pyros.faults import ledger, probes
from pyros.faults.cluster import PrivateCluster
from pyros.faults.report import FaultRow
from pyros.faults.workload import NIGHT, prepare_database, unit_text

AGENTS = ("monitoring", "devices", "scheduler", "alerts", "majordome")
#: Wall seconds a step may take before the night is declared stuck (a loaded machine).
PATIENCE = 240.0
OPEN_STATES = ("SCHEDULER_READY", "OBSERVING")
CLOSED_STATES = ("CLOSING", "PASSIVE_NO_PLC", "STANDBY")
STEADY_FOR = 2.0  # wall seconds the night must stay steady before the next fault
#: Wall seconds by which "ready" may follow the watchdog's first renewal.
READY_MARGIN = 1.0


class FaultNight:
    def __init__(self, workdir: Path, *, speed: float = 20.0, sequences: int = 40,
                 hung_after: float = 30.0, heartbeat: float = 10.0,
                 agents: tuple[str, ...] = AGENTS,
                 progress: Callable[[str], None] = lambda _: None) -> None:
        self.workdir, self.speed, self.count = workdir, speed, sequences
        self.hung_after, self.heartbeat, self.agents = hung_after, heartbeat, agents
        self.say = progress
        self.home = workdir / "home"
        self.scenario = workdir / "device-faults.json"
        self.rows: list[FaultRow] = []
        self.env: dict[str, str] = {}
        self.cluster: PrivateCluster | None = None
        self.watch: probes.SafetyWatch | None = None
        self.web_url = ""
        self.supervisor = 0
        self._old_executor = ""
        self._began = 0.0
        self._tripped_before = ""
        self._before: dict[str, int] = {}

    # --- the run -------------------------------------------------------------------------

    def run(self) -> list[FaultRow]:
        self.home.mkdir(parents=True, exist_ok=True)
        paths.mark_sandbox(self.home)  # a private cluster: `--sim-time` may write in it
        self.cluster = PrivateCluster()
        try:
            self.cluster.start()
            self._prepare(self.cluster.create_database("pyros_faults"))
            try:
                self._start()
                self._faults()
            finally:
                self._stop()
        finally:
            self.cluster.remove()
        return self.rows

    def _prepare(self, url: str) -> None:
        from pyros.ports import free_ports

        config = self.workdir / "unit.toml"
        config.write_text(unit_text(self.heartbeat))
        self.scenario.write_text("[]")
        web_port = free_ports(1)[0]
        self.web_url = f"http://127.0.0.1:{web_port}/"
        self.env = {**os.environ, "DATABASE_URL": url, "PYROS_HOME": str(self.home),
                    "PYROS_CONFIG": str(config), "PYROS_START_WAIT": "180",
                    "PYROS_AGENT_HUNG_AFTER": f"{self.hung_after:g}"}
        os.environ.update({k: self.env[k] for k in ("DATABASE_URL", "PYROS_HOME",
                                                    "PYROS_CONFIG")})
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pyros.config.settings")
        import django

        django.setup()
        self.say(f"database on the private cluster (port {self.cluster.port}): "
                 f"{prepare_database(self.count)} sequences submitted")
        self.web_port = web_port

    def _pyros(self, *args: str, timeout: float = 300.0) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pyros.cli", *args], env=self.env,
                              capture_output=True, text=True, timeout=timeout, check=False)

    def _start(self) -> None:
        from pyros.config.loader import active_config

        names = ",".join(["web", "sim", *self.agents])
        started = self._pyros("start", names, "--sim-time", f"{NIGHT:%Y-%m-%dT%H:%M:%S}", "--speed",
                              f"{self.speed:g}", "--scenario", str(self.scenario),
                              "--port", str(self.web_port))
        pid_file = self.home / "run" / "supervisor.pid"
        if pid_file.exists():
            self.supervisor = int(pid_file.read_text())
        if started.returncode != 0:
            raise RuntimeError(f"pyros start failed: {started.stdout}{started.stderr}")
        from pyros import clock

        # The run's clock, so that the commands this process sends are timed as the
        # agents' own.
        clock.install_from_environment(json.loads((self.home / "run" / "clock.json")
                                                  .read_text()))
        unit = active_config()
        self._close_within = unit.majordome.close_within
        dome = next(iter(unit.devices_of_kind("dome")))
        self.addresses = {name: device.address for name, device in unit.devices.items()}
        self.cameras = [channel.camera for channel in unit.channels]
        self.watch = probes.SafetyWatch(self.addresses[dome], self.addresses[unit.mount.device])
        threading.Thread(target=self.watch.run, name="safety-watch", daemon=True).start()
        self.say("PyROS started; waiting for the first frames")
        probes.wait(lambda: ledger.science_frames() > 0, PATIENCE, "the first frame")

    def _stop(self) -> None:
        if self.watch is not None:
            self.watch.stop.set()
        started = probes.children(self.supervisor) if self.supervisor else {}
        stopped = self._pyros("stop", timeout=120)
        if stopped.returncode != 0:
            self.say(f"pyros stop: {stopped.stdout}{stopped.stderr}")
        if not self.supervisor:
            return
        try:  # whatever `pyros stop` said, nothing of this night may outlive it
            os.kill(self.supervisor, signal.SIGTERM)
        except OSError:
            return
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and Path(f"/proc/{self.supervisor}").exists():
            time.sleep(0.2)
        left = probes.stop_processes(started.values())
        if left:
            self.say(f"processes left running after pyros stop, killed: {left}")

    def _faults(self) -> None:
        plan: list[tuple[str, Callable[[FaultRow], None]]] = [
            *((f"kill -9 {name}", lambda row, n=name: self._kill_agent(row, n))
              for name in ("majordome", *[a for a in self.agents if a != "majordome"])),
            ("PLC link cut", self._cut_plc),
            ("camera silent mid-exposure", self._silent_camera),
            ("majordome hung (SIGSTOP)", self._hang_majordome),
            ("PostgreSQL restarted", self._restart_database),
            ("kill -9 web server", self._kill_web),
        ]
        for name, inject in plan:
            row = FaultRow(name)
            self.say(f"{name}: waiting for a steady night")
            try:
                self._steady(observing=True)
                marks = self._marks()
                self._before = probes.children(self.supervisor)
                inject(row)
                self._settle(row, marks)
            except TimeoutError as exc:
                row.note = f"{exc}".strip()
                row.safety_ok = row.safety_ok and bool(row.safety)
            self.rows.append(row)
            self.say(f"{name}: {json.dumps(row.__dict__)}")

    # --- the faults ---------------------------------------------------------------------

    def _kill_agent(self, row: FaultRow, name: str) -> None:
        """Killed while it works, if it has long work (the scheduler's re-plan, running
        when the kill comes: it must end KILLED, never stay RUNNING); a ping sent while
        it is dead must be answered once by the next incarnation, not lost."""
        from pyros.agents import bus

        old = probes.children(self.supervisor)[name]
        if name == "scheduler":
            busy = bus.send_command(name, "replan_now", sender="fault-night",
                                    timeout=3600, reason="the fault night's kill")
            probes.wait(lambda: busy.refresh().state != "PENDING", PATIENCE,
                        "the re-plan taken", every=0.02)
        self._began = time.monotonic()
        os.kill(old, signal.SIGKILL)
        # Valid for an hour of the clock: the new incarnation has time to start.
        ping = bus.send_command(name, "ping", sender="fault-night", validity=3600)
        self._await_new_agent(row, name, old)
        new = probes.children(self.supervisor)[name]
        with contextlib.suppress(TimeoutError):  # judged below, whatever it became
            probes.wait(lambda: probes.query(lambda: ping.refresh().done, False), PATIENCE,
                        "the ping sent while it was dead answered")
        if not (ping.state == "EXECUTED" and ping.command.executor.endswith(f":{new}")):
            row.lost += 1
            row.note = f"the ping sent while it was dead ended {ping.state}"
        else:
            row.note = "a ping sent while it was dead: answered once by the new process"

    def _hang_majordome(self, row: FaultRow) -> None:
        old = probes.children(self.supervisor)["majordome"]
        self._began = time.monotonic()
        os.kill(old, signal.SIGSTOP)
        self._await_new_agent(row, "majordome", old, patience=PATIENCE)
        row.note = f"killed as hung after {self.hung_after:g} s without a heartbeat"

    def _await_new_agent(self, row: FaultRow, name: str, old: int,
                         patience: float = 60.0) -> None:
        row.back = probes.wait(lambda: probes.children(self.supervisor).get(name)
                               not in (None, old), patience, f"{name} started again",
                               every=0.02)
        new = probes.children(self.supervisor)[name]
        row.ready = row.back + probes.wait(lambda: ledger.beating(name, new), PATIENCE,
                                           f"{name} beating again")
        self._old_executor = f"{name}@main:{old}"

    def _cut_plc(self, row: FaultRow) -> None:
        plc = probes.children(self.supervisor)["sim-plc"]
        self._began = time.monotonic()
        os.kill(plc, signal.SIGSTOP)
        try:
            decided = probes.wait(lambda: ledger.majordome_state() in CLOSED_STATES, PATIENCE,
                                  "the majordome closing for the lost PLC", every=0.05)
            closing = probes.wait(self._closed_now, PATIENCE, "closed and parked")
            row.note = (f"seen lost and closing ordered {decided:.1f} s after the cut "
                        f"({decided * self.speed:.0f} s of the clock), closed and parked "
                        f"{closing:.1f} s later ({closing * self.speed:.0f} s of the clock; "
                        f"close_within {self._close_within:g})")
        finally:
            os.kill(plc, signal.SIGCONT)
        row.back = time.monotonic() - self._began
        row.ready = row.back + probes.wait(
            lambda: ledger.majordome_state() in OPEN_STATES, PATIENCE,
            "open again once the PLC answers")

    def _silent_camera(self, row: FaultRow) -> None:
        camera = self.cameras[0]
        probes.wait(lambda: (probes.device_status(self.addresses[camera]) or {}).get("state")
                    == "EXPOSING", PATIENCE, f"{camera} exposing", every=0.05)
        silence = max(10.0, 60.0 / self.speed)
        self.scenario.write_text(json.dumps([{"at": 0, "device": camera, "fault": "silent",
                                              "duration": silence}]))
        devices = probes.children(self.supervisor)["sim-devices"]
        self._began = time.monotonic()
        os.kill(devices, signal.SIGHUP)
        probes.wait(lambda: time.monotonic() - self._began > silence, silence + 5, "silence")
        row.back = time.monotonic() - self._began
        row.ready = row.back + probes.wait(
            lambda: probes.device_status(self.addresses[camera]) is not None, PATIENCE,
            f"{camera} answering")
        row.note = f"{camera} silent for {silence:g} s"

    def _restart_database(self, row: FaultRow) -> None:
        from pyros.agents.models import AgentSurvey

        self._began = time.monotonic()
        row.back = self.cluster.restart()
        beats = probes.query(lambda: dict(AgentSurvey.objects.filter(
            name__in=self.agents).values_list("name", "last_beat")), {})

        def all_beating() -> bool:
            now = probes.query(lambda: dict(AgentSurvey.objects.filter(
                name__in=self.agents).values_list("name", "last_beat")), {})
            return bool(now) and all(now.get(a) != beats.get(a) for a in self.agents) \
                and probes.web_answers(self.web_url)

        row.ready = row.back + probes.wait(all_beating, PATIENCE,
                                           "every agent beating after the restart")

    def _kill_web(self, row: FaultRow) -> None:
        old = probes.children(self.supervisor)["web"]
        self._began = time.monotonic()
        os.kill(old, signal.SIGKILL)
        row.back = probes.wait(lambda: probes.children(self.supervisor).get("web")
                               not in (None, old), 60, "the web server started again",
                               every=0.02)
        row.ready = row.back + probes.wait(lambda: probes.web_answers(self.web_url, 1.0),
                                           PATIENCE, "the home page answering", every=0.05)

    # --- after each fault -----------------------------------------------------------------

    def _settle(self, row: FaultRow, marks: dict[str, int]) -> None:
        """Wait for the next frame, then read what the fault cost."""
        after = ledger.science_frames()
        probes.wait(lambda: ledger.science_frames() > after, PATIENCE,
                    "a new frame after the fault")
        row.resumed = time.monotonic() - self._began
        lost = ledger.lost(probes.children(self.supervisor))
        row.lost += len(lost)
        if lost:
            row.note = "; ".join(filter(None, [row.note, "lost: " + ", ".join(lost)]))
        row.duplicated = ledger.duplicated()
        if self._old_executor:
            row.killed = ledger.killed(self._old_executor)
            self._old_executor = ""
        row.given_back = ledger.given_back(marks["log"])
        self._judge_safety(row, marks)
        # Collateral deaths: processes the fault was not aimed at, started again.
        after = probes.children(self.supervisor)
        target = row.fault.removeprefix("kill -9 ").split(" ")[0]
        target = {"web": "web", "PLC": "sim-plc", "camera": "sim-devices"}.get(target, target)
        died = sorted(name for name, pid in self._before.items()
                      if name != target and after.get(name) != pid)
        if died:
            row.note = "; ".join(filter(None, [row.note, f"also restarted: {', '.join(died)}"]))
        elif row.fault == "PostgreSQL restarted":
            row.note = "no process died: each reconnected"

    def _judge_safety(self, row: FaultRow, marks: dict[str, int]) -> None:
        assert self.watch is not None
        samples = self.watch.between(self._began, time.monotonic())
        closed = any(s.closed for s in samples)
        tripped = any(s.tripped != self._tripped_before for s in samples)
        closing = ledger.closing_transitions(marks["log"], CLOSED_STATES)
        without_majordome = row.fault.startswith(("kill -9 majordome", "majordome hung"))
        # "ready" is when the probe saw the new majordome's first heartbeat; its first
        # decision, which renews the watchdog, may come up to READY_MARGIN earlier (the
        # probe's polling and one decision period): only a longer absence must trip it.
        # Both in wall seconds: the watchdog counts wall time, as the heartbeats do.
        needed = bool(closing) or (without_majordome and row.ready is not None and
                                   row.ready - READY_MARGIN > self.heartbeat)
        if tripped and closed:
            row.safety = "the devices' watchdog closed and parked"
        elif closing and closed:
            row.safety = f"majordome → {closing[0][0]} ({closing[0][1]}); seen closed and parked"
        elif closing:
            row.safety = f"majordome → {closing[0][0]} ({closing[0][1]}); never seen closed"
        else:
            row.safety = "none needed: stayed open and safe" if not needed else \
                "needed but not seen"
        row.safety_ok = closed or not needed

    # --- readings -------------------------------------------------------------------------

    def _marks(self) -> dict[str, int]:
        assert self.watch is not None
        last = self.watch.samples[-1] if self.watch.samples else None
        self._tripped_before = last.tripped if last else ""
        return {"log": ledger.last_log_id()}

    def _closed_now(self) -> bool:
        assert self.watch is not None
        return bool(self.watch.samples) and self.watch.samples[-1].closed

    def _steady(self, *, observing: bool) -> None:
        """Every agent beating in its current process, the majordome observing (a
        sequence executing) and the dome open: the moment to hurt it."""
        def steady() -> bool:
            running = probes.children(self.supervisor)
            if any(name not in running or not ledger.beating(name, running[name])
                   for name in self.agents):
                return False
            state = ledger.majordome_state()
            return (state == "OBSERVING" if observing else state in OPEN_STATES) and \
                not self._closed_now()

        since: list[float] = []

        def steady_for_a_while() -> bool:  # a dying process may look steady an instant
            if not steady():
                since.clear()
                return False
            since[:] = since or [time.monotonic()]
            return time.monotonic() - since[0] >= STEADY_FOR

        probes.wait(steady_for_a_while, PATIENCE,
                    "a steady night (every agent beating, observing)", every=0.1)


def run_fault_night(workdir: Path, **options) -> list[FaultRow]:
    return FaultNight(workdir, **options).run()
