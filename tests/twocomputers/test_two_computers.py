"""Two computers, as on a site: the telescope computer (simulated devices and PLC, the
devices, monitoring and majordome agents) in a network namespace of its own, the server
(web server, scheduler, the database) in the root namespace, a veth pair as the cable.

The cable is cut while a sequence executes: the telescope computer, alone, must close
the dome and park the mount within the majordome's ``close_within`` (the devices' own
watchdog is turned off here, so that it is the majordome's doing), its agents must live
through the outage (no restart), and when the cable is back the night must resume by
itself: the interrupted sequence given back and executing again, a command sent to the
telescope during the cut executed once. The figures (cut to closed and parked, cable
back to observing) are printed for docs/two-computers.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.twocomputers.lab import TwoComputers, why_not_available

WHY_NOT = why_not_available()
pytestmark = [pytest.mark.whole_pyros, pytest.mark.skipif(bool(WHY_NOT), reason=WHY_NOT)]

SPEED = 10.0
NIGHT = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)  # dark time at the example site
CLOSE_WITHIN = 180.0  # the example's [majordome] close_within, seconds of the run's clock
LINK_TIMEOUT = "4"  # PYROS_DB_LINK_TIMEOUT, wall seconds
CUT_FOR = 25.0  # wall seconds the cable stays cut (250 s of the run's clock)
TELESCOPE_AGENTS = ["devices", "monitoring", "majordome"]
PYROS = [sys.executable, "-m", "pyros.cli"]


def unit_text(lab: TwoComputers) -> str:
    """The example unit on free ports, its agents split between the two computers, a
    short safe delay, no device watchdog (the majordome must close by itself)."""
    from pyros.simulators.thread import example_on_free_ports

    text = example_on_free_ports()
    start, end = text.index("[[computers]]"), text.index("\n[safety]")
    computers = (f'[[computers]]\nname = "telescope"\nhost = "{lab.telescope_ip}"\n'
                 f"agents = {json.dumps(TELESCOPE_AGENTS)}\n\n"
                 f'[[computers]]\nname = "server"\nhost = "{lab.server_ip}"\n'
                 'agents = ["scheduler"]\n')
    text = text[:start] + computers + text[end:]
    assert f"close_within = {CLOSE_WITHIN}" in text, "the example's close_within changed"
    for old, new in (("safe_delay = 900.0", "safe_delay = 60.0"),
                     ("heartbeat = 60.0 ", "heartbeat = 0.0 ")):
        assert old in text, f"the example configuration no longer has {old!r}"
        text = text.replace(old, new)
    return text


def request_overhead(path: Path) -> Path:
    """A submitted request near the zenith for the first hours of the night: one
    sequence long enough (10 × 60 s) to be executing when the cable is cut."""
    from astropy import units as u
    from astropy.time import Time

    ra = float(Time(NIGHT + timedelta(minutes=20)).sidereal_time(
        "apparent", longitude=-115.4637 * u.deg).deg)
    start, end = NIGHT.strftime("%Y-%m-%dT%H:%M:%SZ"), \
        (NIGHT + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M:%SZ")
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<request submitted="1" name="two computers" scientific_program="GRB" '
        'target_type="test">\n'
        f'  <sequence duration="700" start="{start}" end="{end}" name="zenith" '
        f'ra="{ra:.4f}" dec="31.0">\n'
        '    <album detector="Visible camera" name="vis">\n'
        '      <plan duration="60" filter="r" name="r" nb_images="10"/>\n'
        '    </album>\n  </sequence>\n</request>\n')
    return path


class Night:
    """The running two-computer PyROS as the test watches it: the database from the
    server, the devices through the probe on the telescope computer."""

    def __init__(self, lab: TwoComputers, probe_log: Path) -> None:
        import psycopg

        self.db = psycopg.connect(lab.database_url("127.0.0.1"), autocommit=True)
        self.probe_log = probe_log

    def query(self, sql: str, *args: object) -> list[tuple]:
        return self.db.execute(sql, args).fetchall()

    def state(self) -> str:
        rows = self.query("SELECT state FROM majordome_majordomestate")
        return rows[0][0] if rows else ""

    def sequence_status(self) -> str:
        rows = self.query("SELECT status FROM observations_sequence")
        return rows[0][0] if rows else ""

    def night_log(self) -> list[str]:
        return [m for (m,) in self.query("SELECT message FROM majordome_nightlogentry "
                                         "ORDER BY time, id")]

    def observing_again(self) -> bool:
        """The majordome wrote the outage to the night log (it has the database
        again), then went back to OBSERVING; the state rows before that are stale."""
        log = self.night_log()
        back = [i for i, m in enumerate(log) if "the database was unreachable for" in m]
        return bool(back) and any("→ OBSERVING" in m for m in log[back[-1] + 1:]) \
            and self.state() == "OBSERVING" and self.sequence_status() == "EXECUTING"

    def closed_since(self, after: float) -> float | None:
        """The wall time of the first probe line after ``after`` that says closed and
        parked, or None."""
        for line in self.probe_log.read_text().splitlines():
            try:
                seen = json.loads(line)
            except ValueError:
                continue
            if seen["t"] >= after and seen.get("parked") and seen.get("shutter") == "CLOSED":
                return seen["t"]
        return None

    def agents(self) -> dict[str, tuple[int, int]]:
        """(pid, restarts) of the telescope computer's agents."""
        return {name: (pid, restarts) for name, pid, restarts in self.query(
            "SELECT name, pid, restarts FROM agents_agentsurvey WHERE computer = 'telescope'")}


def wait_for(condition: Callable[[], object], wall: float, what: str,
             explain: Callable[[], object] = lambda: "") -> float:
    """Wait for ``condition`` (polled every 0.1 s); the wall time it became true."""
    deadline = time.monotonic() + wall
    while time.monotonic() < deadline:
        if condition():
            return time.time()
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {wall:g} s: {explain()}")


def run(env: dict[str, str], *argv: str, where: TwoComputers | None = None,
        timeout: float = 240) -> subprocess.CompletedProcess:
    command = [*PYROS, *argv]
    if where is not None:
        command = where.telescope_argv(*command)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)


def test_the_telescope_computer_closes_without_the_server_and_resumes_with_it(tmp_path):
    from pyros import clock
    from pyros.ports import RANGE_VARIABLE, free_ports

    postgres_port, web_port = free_ports(2)
    probe = None
    with TwoComputers(postgres_port) as lab:
        config = tmp_path / "unit.toml"
        config.write_text(unit_text(lab))
        shared = {**{k: v for k, v in os.environ.items()
                     if not k.startswith("PYROS_") or k == RANGE_VARIABLE},
                  **clock.clock_environment(NIGHT, SPEED), "PYROS_CONFIG": str(config),
                  "PYROS_START_WAIT": "150", "PYROS_DB_LINK_TIMEOUT": LINK_TIMEOUT}
        server = {**shared, "PYROS_HOME": str(tmp_path / "server"),
                  "DATABASE_URL": lab.database_url("127.0.0.1")}
        telescope = {**shared, "PYROS_HOME": str(tmp_path / "telescope"),
                     "DATABASE_URL": lab.database_url(lab.server_ip)}
        try:
            for step in (("init", "--admin-password", "two-computers-1"),
                         ("observatory", "mode", "scheduler"),
                         ("request", "import", str(request_overhead(tmp_path / "zenith.xml")))):
                done = run(server, *step)
                assert done.returncode == 0, done.stdout + done.stderr
            done = run(server, "start", "web,scheduler", "--computer", "server",
                       "--port", str(web_port))
            assert done.returncode == 0, done.stdout + done.stderr
            done = run(telescope, "start", "sim," + ",".join(TELESCOPE_AGENTS),
                       "--computer", "telescope", where=lab)
            assert done.returncode == 0, done.stdout + done.stderr
            probe_log = tmp_path / "probe.jsonl"
            with probe_log.open("w") as out:
                probe = subprocess.Popen(
                    lab.telescope_argv(sys.executable, str(Path(__file__).with_name("probe.py"))),
                    env=telescope, stdout=out, stderr=subprocess.DEVNULL)
            night = Night(lab, probe_log)
            wait_for(lambda: night.state() == "OBSERVING", 120, "observing the sequence",
                     lambda: night.night_log())
            before = night.agents()

            cut = time.time()
            lab.cut()
            # Sent from the server while the telescope cannot read it: it must wait and
            # run once when the cable is back.
            sent = run(server, "agent", "send", "majordome", "ping", "--wait", "0.1",
                       "--validity", "7200")
            command_id = _command_id(night)
            closed = wait_for(lambda: night.closed_since(cut), CLOSE_WITHIN / SPEED + 10,
                              "closed and parked without the server",
                              lambda: probe_log.read_text()[-600:])
            time.sleep(max(0.0, cut + CUT_FOR - time.time()))
            assert night.closed_since(time.time() - 1.0), "opened again while cut off"

            mended = time.time()
            lab.mend()
            back = wait_for(night.observing_again, 90, "observing again once the cable is back",
                            lambda: night.night_log()[-12:])

            figures = {"cut_to_closed_and_parked_s": round(closed - cut, 1),
                       "close_within_wall_s": CLOSE_WITHIN / SPEED,
                       "back_to_observing_s": round(back - mended, 1),
                       "link_timeout_s": float(LINK_TIMEOUT), "speed": SPEED}
            print(f"\ntwo computers: {json.dumps(figures)}")
            assert closed - cut <= CLOSE_WITHIN / SPEED, figures
            log = night.night_log()
            assert any("the database is unreachable" in m and "CLOSING" in m for m in log), log
            assert any("the database was unreachable for" in m for m in log), log
            # The interrupted sequence went back to the scheduler: by the majordome once
            # the database answered, or by its executor thread, whose end-of-sequence
            # write is retried until the database is back (majordome/persist.py).
            assert any("given back to the scheduler" in m or m.endswith("→ TOBEPLANNED")
                       for m in log), log
            # The agents lived through it: same processes, no restart.
            assert night.agents() == before, (before, night.agents())
            assert sent.returncode == 2, sent.stdout + sent.stderr  # not done within 0.1 s
            wait_for(lambda: night.query("SELECT state FROM agents_command WHERE id = %s",
                                         command_id) == [("EXECUTED",)], 30,
                     "the command sent during the cut executed")
            # Once: one sequence, never two executing at once, one execution going.
            assert night.query("SELECT count(*) FROM observations_sequence "
                               "WHERE status = 'EXECUTING'") == [(1,)]
        finally:
            if probe is not None:
                probe.kill()
                probe.wait()
            run(telescope, "stop", where=lab, timeout=60)
            run(server, "stop", timeout=60)
    assert lab.namespace not in subprocess.run(["ip", "netns", "list"], capture_output=True,
                                               text=True, check=False).stdout
    links = subprocess.run(["ip", "link", "show"], capture_output=True, text=True,
                           check=False).stdout
    assert lab.server_end not in links


def _command_id(night: Night) -> int:
    rows = night.query("SELECT id FROM agents_command WHERE recipient = 'majordome' "
                       "AND name = 'ping' ORDER BY id DESC LIMIT 1")
    assert rows, "the ping was not stored"
    return rows[0][0]
