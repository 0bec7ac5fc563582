"""`pyros backup` then `pyros restore` on a fresh machine gives back every row: requests,
plans, alerts with their strategy versions, frames and their analysis, users; and the
configuration. On SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.db import connection, transaction

from pyros import clock, paths
from pyros.agents.models import AgentLog
from pyros.alerts.models import AlertPacket
from pyros.alerts.store import ingest, save_strategy
from pyros.alerts.voevent import parse_voevent
from pyros.analysis import store as analysis_store
from pyros.config.loader import active_config
from pyros.images.models import Image
from pyros.observations import json_format
from pyros.observations import store as requests_store
from pyros.observations.models import Request, Sequence
from pyros.programs.models import Allocation, Period, ScientificProgram
from pyros.scheduling.agent import SchedulerAgent
from pyros.scheduling.models import Schedule, Trigger
from tests.alerts import DATA
from tests.backup.conftest import run_pyros
from tests.conftest import request_dict

AFTERNOON = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)
BAT = DATA / "swift_bat_grb_pos_655721.xml"


def _sequence(name: str, ra: float, dec: float) -> dict:
    return {"name": name, "target": name, "ra": ra, "dec": dec,
            "start": "2026-11-22T00:00:00Z", "end": "2026-11-23T00:00:00Z",
            "duration": 1200, "priority": 5, "obs_type": "BESTELEV", "max_airmass": 2.0,
            "albums": [{"name": "vis", "detector": "Visible camera",
                        "plans": [{"name": "r", "filter": "r", "exposure": 30,
                                   "nb_images": 2}]}]}


def _an_alert(simulated_clock) -> None:
    """A Swift burst taken in by the intake, in a period of its own (it is years old)."""
    packet = BAT.read_bytes()
    moment = parse_voevent(packet).event_time + timedelta(seconds=120)
    period = Period.objects.create(name="P2015", start=moment - timedelta(days=90),
                                   end=moment + timedelta(days=90))
    Allocation.objects.create(program=ScientificProgram.objects.get(name="GRB"),
                              period=period, quota_hours=200)
    simulated_clock.set(moment)
    result = ingest(packet, source="test", unit=active_config())
    assert result.decision == "ACCEPTED", result.reason


def _a_night(owner, simulated_clock) -> None:
    """Requests planned by the scheduler, and two frames of the plan's first sequence
    with their analysis queued."""
    simulated_clock.set(AFTERNOON)
    for name, sequences in (("tonight", [_sequence("M31", 10.68, 41.27),
                                         _sequence("M33", 23.46, 30.66)]),
                            ("draft", [_sequence("M1", 83.63, 22.01)])):
        spec = json_format.spec_from_data(request_dict(
            name=name, submitted=name != "draft", sequences=sequences))
        requests_store.create_request(spec, owner)
    SchedulerAgent("scheduler", unit=active_config(), time_limit=0.5).replan(
        Trigger.OPERATOR, "before the backup")
    sequence = Sequence.objects.get(target_name="M31")
    plan = sequence.albums.get().plans.get()
    for number in range(2):
        began = AFTERNOON + timedelta(hours=3, minutes=number)
        image = Image.objects.create(
            path=f"/archive/VIS/20261121/raw/m31-{number}.fits", night=AFTERNOON.date(),
            channel="VIS", frame_type="LIGHT", filter="r", exposure=30.0, date_obs=began,
            date_end=began + timedelta(seconds=32), target_name="M31", airmass=1.2 + number,
            work_key=f"sequence:{sequence.pk}", sequence=sequence, album=plan.album,
            plan=plan, headers={"OBJECT": "M31", "EXPTIME": 30.0, "PYROS": {"n": number}})
        analysis_store.enqueue(image)


def _rows_of(env: dict[str, str]) -> list[dict]:
    """Every row of the database ``env`` names, as Django's dumpdata gives them."""
    done = subprocess.run(
        [sys.executable, "-m", "django", "dumpdata", "--settings=pyros.config.settings"],
        env=env, text=True, capture_output=True, timeout=300, check=True)
    return json.loads(done.stdout)


def test_a_database_and_its_configuration_come_back_on_a_fresh_machine(
        observer, simulated_clock, source_env, target_env):
    _an_alert(simulated_clock)
    save_strategy(AlertPacket.objects.get().strategy.text.replace("#", "# v2:", 1),
                  comment="a second version")
    _a_night(observer, simulated_clock)
    assert Schedule.objects.exists() and Request.objects.count() == 3  # the alert's too
    source = Path(source_env["PYROS_HOME"])
    (source / "unit.toml").write_text(paths.EXAMPLE_CONFIG.read_text() + "# this site's\n")
    folder = source / "backups" / "before"

    made = run_pyros(source_env, "backup", "-o", str(folder))
    manifest = json.loads((folder / "manifest.json").read_text())
    assert f"backup written to {folder}" in made.stdout
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["counts"]["observations_request"] == 3
    assert manifest["counts"]["images_image"] == 2
    assert manifest["counts"]["alerts_alertpacket"] == 1
    assert [s["version"] for s in manifest["strategies"]] == [1, 2]
    assert (folder / "config/strategies/v0002.toml").read_text().count("# v2:") == 1
    assert "observations" in manifest["migrations"]
    assert sorted(manifest["files"]) == sorted([
        manifest["database"]["file"], "config/unit.toml", "config/secret_key",
        "config/strategies/v0001.toml", "config/strategies/v0002.toml"])

    restored = run_pyros(target_env, "restore", str(folder))
    assert "as in the backup" in restored.stdout and "migrations applied: 0" in restored.stdout
    fresh = Path(target_env["PYROS_HOME"])
    assert (fresh / "unit.toml").read_text().endswith("# this site's\n")
    assert (fresh / "secret_key").read_text() == (source / "secret_key").read_text()
    expected = StringIO()
    call_command("dumpdata", indent=None, stdout=expected)
    rows = _rows_of(target_env)
    assert rows == json.loads(expected.getvalue())
    models = {row["model"] for row in rows}
    assert {"observations.request", "scheduling.schedule", "scheduling.scheduledsequence",
            "alerts.alertpacket", "alerts.strategy", "images.image",
            "analysis.frameanalysis", "accounts.user"} <= models


def test_a_non_empty_database_is_replaced_only_with_force(initial_data, source_env,
                                                          target_env):
    folder = Path(source_env["PYROS_HOME"]) / "backup"
    run_pyros(source_env, "backup", "-o", str(folder))
    run_pyros(target_env, "restore", str(folder))
    again = run_pyros(target_env, "restore", str(folder), ok=False)
    assert again.returncode == 1
    assert "is not empty" in again.stderr and "--force" in again.stderr
    forced = run_pyros(target_env, "restore", str(folder), "--force")
    assert "replaced a database of" in forced.stdout


def test_a_missing_dump_tool_is_named_and_leaves_nothing(initial_data, source_env, tmp_path):
    empty = tmp_path / "no-tools"
    empty.mkdir()
    folder = tmp_path / "backup"
    done = run_pyros(source_env | {"PATH": str(empty)}, "backup", "-o", str(folder), ok=False)
    if connection.vendor == "sqlite":  # the driver is all SQLite needs
        assert done.returncode == 0, done.stderr
        return
    tool, package = {"postgresql": ("pg_dump", "postgresql-client"),
                     "mysql": ("mariadb-dump", "mariadb-client")}[connection.vendor]
    assert done.returncode == 1
    assert f"{tool} is not installed" in done.stderr and package in done.stderr
    assert not folder.exists() and list(tmp_path.glob(".backup.partial*")) == []


def test_a_backup_made_while_pyros_writes_is_one_moment(initial_data, source_env, target_env):
    """A writer commits log rows two at a time during the backup: the dump, and the
    manifest's count where it is read in the dump's snapshot, hold whole pairs only."""
    stop = threading.Event()

    def write_pairs() -> None:
        try:
            while not stop.is_set():
                with transaction.atomic():
                    for half in range(2):
                        AgentLog.objects.create(agent="writer", level=20, message=str(half),
                                                created_at=clock.now())
        finally:
            connection.close()

    writer = threading.Thread(target=write_pairs)
    writer.start()
    try:
        folder = Path(source_env["PYROS_HOME"]) / "backup"
        run_pyros(source_env, "backup", "-o", str(folder))
    finally:
        stop.set()
        writer.join()
    manifest = json.loads((folder / "manifest.json").read_text())
    saved = manifest["counts"]["agents_agentlog"]
    assert saved % 2 == 0 and saved > 0
    restored = run_pyros(target_env, "restore", str(folder))
    rows = [row for row in _rows_of(target_env) if row["model"] == "agents.agentlog"]
    assert len(rows) % 2 == 0 and len(rows) > 0
    if manifest["counts_exact"]:
        assert len(rows) == saved
    else:  # MariaDB: the figures were read just before the dump's own snapshot
        assert len(rows) >= saved
        assert ("as in the backup" in restored.stdout) == (len(rows) == saved)
