"""Commands that killed or froze an agent in a penetration test (issue 17): a mode that
is not text, arithmetic whose result has a million digits, arguments of the wrong kind.
Each FAILS with a message, and the agent takes the next command."""

from __future__ import annotations

import re

import pytest

from pyros.agents import bus
from pyros.agents.models import Command, CommandState
from pyros.agents.testing import AgentB

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("name", "args", "message"), [
    ("set_mode", {"mode": 5}, "mode: Input should be 'ACTIVE' or 'IDLE'"),
    ("set_mode", {"mode": ["IDLE"]}, "mode: Input should be 'ACTIVE' or 'IDLE'"),
    ("set_mode", {}, "bad arguments for set_mode"),
    ("calc", {"expression": "(9 ** 999) ** 999"}, "more than 1000 digits"),
    ("calc", {"expression": "2 ** 1000 * 2 ** 1000 * 2 ** 1000 * 2 ** 1000"},
     "more than 1000 digits"),
    ("ping", {"unexpected": 1}, "bad arguments for ping"),
])
def test_a_hostile_generic_command_fails_and_the_agent_goes_on(name, args, message):
    agent = AgentB("agentB", computer="test")
    handle = bus.send_command("agentB", name, **args)
    hostile = Command.objects.get(pk=handle.id)
    assert agent._take_one_command()
    hostile.refresh_from_db()
    assert hostile.state == CommandState.FAILED and message in hostile.error, hostile.error
    after = Command.objects.get(pk=bus.send_command("agentB", "ping").id)
    assert agent._take_one_command()
    after.refresh_from_db()
    assert after.state == CommandState.EXECUTED


@pytest.mark.parametrize(("args", "message"), [
    ({"x": float("inf")}, "not a finite number"),
    ({"x": [1.0, float("nan")]}, "args.x[1]: nan is not a finite number"),
    ({"x": "\ud800"}, "lone surrogate"),
    ({"x": "a\x00b"}, "args.x: not valid text \\(a NUL character\\)"),
    ({"x": {"y": object()}}, "object is not a JSON value"),
    ({"x": "a" * 70_000}, "longer than 65536"),
])
def test_arguments_no_database_could_store_are_refused_before_sending(args, message):
    with pytest.raises(bus.CommandError, match=message.replace("[", r"\[")):
        bus.send_command("agentB", "ping", **args)
    assert not Command.objects.exists()


def test_deep_arguments_are_refused():
    deep: dict = {}
    for _ in range(30):
        deep = {"d": deep}
    with pytest.raises(bus.CommandError, match="nested deeper than 20"):
        bus.send_command("agentB", "ping", x=deep)


@pytest.mark.parametrize(("fields", "message"), [
    ({"recipient": "a" * 101}, "recipient: longer than 100 characters"),
    ({"name": "x" * 101}, "name: longer than 100 characters"),
    ({"name": "ping\n"}, "name: not a printable name"),
    ({"recipient": "\ud800"}, "recipient: not a printable name"),
    ({"validity": 1e300}, "validity and timeout must be positive, at most 604800 s"),
    ({"timeout": float("nan")}, "validity and timeout must be positive"),
    ({"timeout": 0}, "validity and timeout must be positive"),
])
def test_names_and_delays_a_database_could_not_take_are_refused(fields, message):
    """Once a PostgreSQL error (a name past its column) or an overflow (a validity of
    1e300 s): now a CommandError that senders turn into a message."""
    options = {"recipient": "agentB", "name": "ping", **fields}
    with pytest.raises(bus.CommandError, match=re.escape(message)):
        bus.send_command(options.pop("recipient"), options.pop("name"), **options)
    assert not Command.objects.exists()


def test_a_long_sender_is_cut_to_its_column():
    handle = bus.send_command("agentB", "ping", sender="web:" + "u" * 150)
    assert handle.command.sender == "web:" + "u" * 96
