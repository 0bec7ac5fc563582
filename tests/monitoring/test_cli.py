"""``pyros weather now`` and ``pyros weather history``, in-process."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner

from pyros.cli.main import cli
from tests.conftest import TEST_NOW
from tests.monitoring.conftest import RAIN, record_at, watcher

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, ["weather", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_weather_now_tells_the_status_the_reasons_and_each_value():
    record_at(watcher(), TEST_NOW - timedelta(seconds=2), RAIN)
    lines = run("now").splitlines()
    assert lines[0] == ("RAINING (UNSAFE since 2026-11-21 11:59:58 UTC), sky clear; "
                        "read 2026-11-21 11:59:58 UTC")
    assert lines[1] == "  - RAINING: rain rate 12 mm/h (limit 0)"
    assert "Rain rate             12.0 mm/h  WXT520.RainRate" in lines
    assert any(line.startswith("Humidity") and "64.1 %" in line for line in lines)
    body = json.loads(run("now", "--json"))
    assert body["safety"]["status"] == "RAINING" and body["safety"]["current"] is True
    assert {v["quantity"] for v in body["values"]} >= {"rain_rate", "humidity"}


def test_weather_now_without_data_says_the_agent_may_not_run():
    output = run("now")
    assert output.startswith("NO_DATA (UNSAFE), sky unknown; read never\n")
    assert "the decision is stale: is the monitoring agent running?" in output


def test_weather_history_lists_the_rows_oldest_first():
    monitor = watcher(safe_delay=0.0)
    for minutes, changes in ((50, {}), (20, RAIN), (5, {})):
        record_at(monitor, TEST_NOW - timedelta(minutes=minutes), changes)
    record_at(monitor, TEST_NOW - timedelta(hours=3))  # outside the default hour
    rows = json.loads(run("history", "--json"))
    assert [(r["time"], r["status"], r["safe"]) for r in rows] == [
        ("2026-11-21T11:10:00Z", "OK", True), ("2026-11-21T11:40:00Z", "RAINING", False),
        ("2026-11-21T11:55:00Z", "OK", True)]
    assert rows[1]["reasons"] == ["RAINING: rain rate 12 mm/h (limit 0)"]
    assert rows[1]["values"]["rain_rate"] == 12.0
    text = run("history", "--minutes", "240", "--limit", "2").splitlines()
    assert text[0] == "(2 older rows not shown: raise --limit)"
    assert text[1].startswith("2026-11-21 11:40:00  RAINING   (RAINING: rain rate 12 mm/h")
    assert "rain_rate 12.0 mm/h" in text[2] and "rain_detected dry" in text[2]
    assert run("history", "--minutes", "1").strip() == (
        "no weather stored in the last 1 minutes")
