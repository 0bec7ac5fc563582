"""``pyros observatory status``, ``control`` and ``log``, in-process: the command acts
with every right (the Operator's included) but never past what the state allows."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner

from pyros.agents.models import Command
from pyros.cli.main import cli
from pyros.instruments.models import Mode, OperatingMode
from pyros.majordome.models import LogKind, NightLogEntry, ObservatoryControl
from pyros.majordome.states import State
from tests.conftest import TEST_NOW
from tests.majordome.test_control_pages import TONIGHT, set_majordome, set_situation

pytestmark = pytest.mark.django_db


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["observatory", *args], input=stdin,
                                catch_exceptions=False)
    return result.exit_code, result.output


def test_status_says_the_state_why_not_and_the_switches():
    set_situation(State.STANDBY, safe=False, locked=True, locked_by="web:olga",
                  locked_at=TEST_NOW - timedelta(hours=1))
    set_majordome(State.STANDBY, cause="unsafe conditions: closed and parked",
                  why_not=["the site is unsafe", "the observatory is locked by the operator"])
    code, output = run("status")
    assert code == 0
    assert output == (
        "state: STANDBY since 2026-11-21 11:48:00 UTC\n"
        "cause: unsafe conditions: closed and parked\n"
        "sun: NIGHT (altitude -25.3°)\n"
        "mode: SCHEDULER · unsafe\n"
        "executing: nothing\n"
        "why not observing:\n"
        "  - the site is unsafe\n"
        "  - the observatory is locked by the operator\n"
        "switches:\n"
        "  locked: yes (by web:olga at 2026-11-21 11:00:00 UTC)\n"
        "  bypass: no\n"
        "  stopped: no\n"
        "  night ACK for 2026-11-20: not required\n"
        "actions available: bypass, unlock, stop\n")


def test_status_warns_when_the_majordome_is_not_running_and_speaks_json():
    code, output = run("status")
    assert code == 0
    assert "state: STARTING\n" in output
    assert "WARNING: the majordome is not running (last decision: never)" in output
    set_situation(State.SCHEDULER_READY)
    code, output = run("status", "--json")
    body = json.loads(output)
    assert (body["state"], body["running"], body["mode"]) == ("SCHEDULER_READY", True,
                                                             "SCHEDULER")
    assert [a["action"] for a in body["actions"] if a["available"]] == [
        "lock", "go_remote", "stop"]  # every right: the Operator's and the others'


def test_control_asks_then_acts_as_cli_user():
    set_situation(State.SCHEDULER_READY)
    code, output = run("control", "lock", stdin="n\n")
    assert code == 1 and "LOCK OBSERVATORY: Close and park, and stay closed until " \
                         "unlocked? [y/N]: n\nAborted!" in output
    assert not ObservatoryControl.current().locked
    code, output = run("control", "lock", stdin="y\n")
    assert code == 0 and output.endswith("LOCK OBSERVATORY: done\n")
    control = ObservatoryControl.current()
    assert control.locked and control.locked_by.startswith("cli:")
    entry = NightLogEntry.objects.get()
    assert (entry.kind, entry.message) == (LogKind.OPERATOR,
                                           f"LOCK OBSERVATORY by {control.locked_by}")
    command = Command.objects.get()
    assert (command.recipient, command.name, command.sender, command.args) == (
        "majordome", "control_changed", control.locked_by, {"action": "lock"})


def test_control_has_the_operators_rights_and_the_others():
    set_situation(State.STANDBY, safe=False)
    assert run("control", "bypass", "--yes") == (0, "PLC BYPASS (set to SAFE): done\n")
    assert ObservatoryControl.current().bypass
    code, output = run("status")
    assert code == 0
    assert "waiting for the PLC to echo it: unsafe is not taken as safe yet" in output
    assert run("control", "go-remote", "-y") == (0, "GO REMOTE: done\n")
    assert OperatingMode.current().mode == Mode.REMOTE


def test_control_refuses_what_the_state_does_not_allow():
    set_situation(State.SCHEDULER_READY)
    code, output = run("control", "unlock", "--yes")
    assert code == 1
    assert output == ("Error: UNLOCK OBSERVATORY is not available now: the observatory is "
                      "not locked\n")
    code, output = run("control", "open", "--yes")
    assert code == 2 and "Invalid value for ACTION: 'open' is not an action (actions: " \
                         "bypass, stop_bypass," in output
    assert not Command.objects.exists() and not NightLogEntry.objects.exists()


def test_log_prints_a_night_oldest_first():
    NightLogEntry.objects.create(time=TEST_NOW - timedelta(hours=5), night=TONIGHT,
                                 kind=LogKind.OPERATOR, message="LOCK OBSERVATORY by web:olga")
    NightLogEntry.objects.create(time=TEST_NOW - timedelta(hours=6), night=TONIGHT,
                                 kind=LogKind.STATE, message="SCHEDULER_READY: ready")
    assert run("log") == (0, "2026-11-21 06:00:00 UTC  STATE        SCHEDULER_READY: ready\n"
                             "2026-11-21 07:00:00 UTC  OPERATOR     LOCK OBSERVATORY by "
                             "web:olga\n")
    code, output = run("log", "--kind", "operator", "--json")
    assert code == 0
    assert [e["message"] for e in json.loads(output)["entries"]] == [
        "LOCK OBSERVATORY by web:olga"]
    assert run("log", "--night", "2026-11-19") == (0, "nothing logged on the night of "
                                                      "2026-11-19\n")
    code, output = run("log", "--night", "yesterday")
    assert code == 2 and "night must be a date YYYY-MM-DD" in output


def test_the_mode_command_stays():
    assert run("mode") == (0, "PASSIVE (never set)\n")
