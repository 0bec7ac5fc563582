"""``pyros observatory mode``: show and set the operating mode, in-process."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pyros.cli.main import cli
from pyros.instruments.models import Mode, OperatingMode

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["observatory", "mode", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_the_mode_is_shown_and_set():
    assert run() == (0, "PASSIVE (never set)\n")
    assert run("remote", "--reason", "engineering night") == (0, "operating mode: REMOTE\n")
    mode = OperatingMode.current()
    assert (mode.mode, mode.reason) == (Mode.REMOTE, "engineering night")
    assert mode.changed_by.startswith("cli:")
    code, shown = run()
    assert code == 0
    assert shown == (f"REMOTE (set by {mode.changed_by} at 2026-11-21 12:00:00 UTC: "
                     "engineering night)\n")
    assert run("SCHEDULER")[0] == 0
    assert OperatingMode.objects.get().mode == Mode.SCHEDULER  # still one row


def test_an_unknown_mode_changes_nothing():
    code, output = run("manual")
    assert code == 2 and "'manual' is not one of 'scheduler', 'remote', 'passive'" in output
    assert not OperatingMode.objects.exists()
