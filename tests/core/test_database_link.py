"""A silent database link becomes an error within PYROS_DB_LINK_TIMEOUT seconds; the
majordome's offline decisions and held night log (plain Python)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from pyros.config.database_link import postgresql_options
from pyros.config.settings import database_settings
from pyros.majordome.offline import HELD_AT_MOST, HeldLog, offline_inputs, outage_summary
from pyros.majordome.states import Inputs, Mode, Phase, State, decide


def test_the_link_options_give_up_within_the_timeout():
    options = postgresql_options(10.0)
    assert options["connect_timeout"] == 10 and options["tcp_user_timeout"] == 10_000
    keepalive = options["keepalives_idle"] + options["keepalives_interval"] * \
        options["keepalives_count"]
    assert options["keepalives"] == 1 and keepalive <= 10


def test_the_timeout_comes_from_the_environment_and_is_checked(monkeypatch, tmp_path):
    monkeypatch.setenv("PYROS_DB_LINK_TIMEOUT", "4")
    config = database_settings("postgresql://u@db.example:5432/pyros", tmp_path)
    assert config["OPTIONS"]["connect_timeout"] == 4
    assert config["OPTIONS"]["tcp_user_timeout"] == 4000
    for bad in ("soon", "1", "1e9", "nan"):
        monkeypatch.setenv("PYROS_DB_LINK_TIMEOUT", bad)
        with pytest.raises(ValueError, match="PYROS_DB_LINK_TIMEOUT"):
            postgresql_options()


def test_sqlite_and_mariadb_get_no_libpq_options(monkeypatch, tmp_path):
    monkeypatch.delenv("PYROS_DB_LINK_TIMEOUT", raising=False)
    assert "keepalives" not in database_settings("", tmp_path)["OPTIONS"]
    assert "keepalives" not in database_settings("mysql://u@h:3306/p", tmp_path)["OPTIONS"]


OBSERVING = Inputs(plc_link=True, plc_auto=True, safe=True, bypass=False, locked=False,
                   mode=Mode.SCHEDULER, phase=Phase.NIGHT, night_ack=True, closed=False,
                   opened=True, stopped=False, busy=True)


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("mode", list(Mode))
def test_without_the_database_every_state_closes(state, mode):
    """REMOTE and PASSIVE included: nobody can reach the devices through the database."""
    last = replace(OBSERVING, mode=mode)
    inputs = offline_inputs(last, closed=False, opened=True, busy=False, fault=False)
    assert decide(state, inputs).state == State.CLOSING
    closed = offline_inputs(last, closed=True, opened=False, busy=False, fault=False)
    assert decide(State.CLOSING, closed).state == State.PASSIVE_NO_PLC


def test_without_the_database_from_the_start_it_closes():
    inputs = offline_inputs(None, closed=False, opened=False, busy=False, fault=False)
    assert decide(State.STARTING, inputs).state == State.CLOSING


def test_the_held_log_is_written_in_order_and_bounded():
    held = HeldLog()
    for n in range(HELD_AT_MOST + 3):
        held.hold("STATE", f"entry {n}", now=n)
    assert held.dropped == 3
    written: list[tuple] = []
    assert held.flush(lambda kind, message, **options: written.append((message, options))) \
        == HELD_AT_MOST
    assert written[0] == ("entry 3", {"now": 3}) and held.entries == []


def test_an_entry_whose_write_fails_stays_held():
    held = HeldLog()
    held.hold("STATE", "a")
    held.hold("STATE", "b")

    def fail_on_b(kind, message, **options):
        if message == "b":
            raise OSError("gone again")

    with pytest.raises(OSError):
        held.flush(fail_on_b)
    assert [e.message for e in held.entries] == ["b"]


def test_the_outage_summary_says_how_long():
    since = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    back = datetime(2026, 11, 22, 3, 4, 10, tzinfo=UTC)
    assert "unreachable for 250 s (from 03:00:00 UTC)" in outage_summary(since, back, 0)
    assert "2 older night-log entries" in outage_summary(since, back, 2)
