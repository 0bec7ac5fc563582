"""Every command of every agent has a schema derived from its handler, checked before the
handler runs (issue 17, item 4). Hostile arguments sent through the real command path
(the agent's command loop, on the test database) FAIL with a message naming the argument,
and the agent answers the next command."""

from __future__ import annotations

import inspect
import json
from datetime import date, timedelta
from typing import Any

import pytest
from click.testing import CliRunner

from pyros import clock
from pyros.agents.agent import Agent
from pyros.agents.models import Command, CommandState
from pyros.agents.registry import AGENTS, agent_class, commands_of
from pyros.agents.schema import BadDeclaration, command_specs, spec_of
from pyros.agents.states import GENERIC_COMMANDS
from pyros.cli.main import cli
from pyros.config.loader import active_config
from pyros.instruments.commands import REMOTE_COMMANDS

pytestmark = pytest.mark.django_db

#: A dictionary nested three deep: no argument of any command takes one.
NESTED = {"a": {"b": {"c": [1]}}}


def make_agent(name: str) -> Agent:
    """The agent registered as ``name``, built but not started: its command loop is
    what is under test, not its devices."""
    cls = agent_class(name)
    if "unit" in inspect.signature(cls).parameters:
        return cls(name, "test", unit=active_config())
    return cls(name, "test")


def run_one(agent: Agent, name: str, args: Any) -> Command:
    """Queue ``name`` with ``args`` as any sender's row would be, and let the agent's
    loop take it (a row, not send_command: the agent must not rely on its sender)."""
    now = clock.now()
    command = Command.objects.create(sender="test", recipient=agent.name, name=name,
                                     args=args, created_at=now,
                                     expires_at=now + timedelta(seconds=60), timeout=30)
    assert agent._take_one_command()
    command.refresh_from_db()
    return command


def assert_refused_then_alive(agent: Agent, name: str, args: Any, message: str) -> None:
    refused = run_one(agent, name, args)
    assert refused.state == CommandState.FAILED, (name, args, refused.state, refused.result)
    assert message in refused.error, refused.error
    assert agent._running is None, "a refused command must never reach the worker"
    after = run_one(agent, "ping", {})
    assert after.state == CommandState.EXECUTED and after.result["agent"] == agent.name


# --- hostile argument sets, agent by agent ------------------------------------------------

HOSTILE: list[tuple[str, str, Any, str]] = [
    # every agent's generic commands (shown on agentB; the next test runs them on all)
    ("agentB", "set_mode", {"mode": "SLEEPY"}, "mode: Input should be 'ACTIVE' or 'IDLE'"),
    ("agentB", "set_mode", {"mode": 5}, "mode: Input should be 'ACTIVE' or 'IDLE'"),
    ("agentB", "set_mode", {}, "mode: Field required"),
    ("agentB", "set_mode", {"mode": "IDLE", "force": True},
     "force: Extra inputs are not permitted"),
    ("agentB", "calc", {"expression": "1+" * 150}, "expression: String should have at most"),
    ("agentB", "calc", {"expression": ["1+1"]}, "expression: Input should be a valid string"),
    ("agentB", "calc", {"expression": "2 ** 99999"}, "exponent larger than 1000"),
    ("agentB", "ping", {"unexpected": 1}, "unexpected: Extra inputs are not permitted"),
    ("agentB", "ping", [1, 2], "they must be a JSON object"),
    ("agentB", "ping", "now", "they must be a JSON object"),
    ("agentB", "nope", {}, "agentB has no command 'nope'"),
    # agentB's test commands
    ("agentB", "sleep", {"seconds": -1}, "seconds: Input should be greater than or equal to 0"),
    ("agentB", "sleep", {"seconds": 1e9}, "seconds: Input should be less than or equal to 3600"),
    ("agentB", "sleep", {"seconds": "NaN"}, "seconds: Input should be a finite number"),
    ("agentB", "sleep", {"seconds": "1e400"}, "seconds: Input should be a finite number"),
    ("agentB", "sleep", {"seconds": "a while"}, "seconds: Input should be a valid number"),
    ("agentB", "sleep", {}, "seconds: Field required"),
    ("agentB", "record", {"tag": NESTED}, "tag: Input should be a valid string"),
    ("agentB", "fail", {"message": "x" * 5000}, "message: String should have at most 200"),
    # devices: remote control
    ("devices", "slew", {"ra": 360, "dec": 0}, "ra: Input should be less than 360"),
    ("devices", "slew", {"ra": 10, "dec": -91}, "dec: Input should be greater than or equal"),
    ("devices", "slew", {"ra": "NaN", "dec": 0}, "ra: Input should be a finite number"),
    ("devices", "slew", {"ra": [10], "dec": 0}, "ra: Input should be a valid number"),
    ("devices", "slew", {"ra": 10}, "dec: Field required"),
    ("devices", "slew", {"ra": 10, "dec": 0, "speed": 9}, "speed: Extra inputs"),
    ("devices", "expose", {"channel": "VIS", "seconds": -1}, "seconds: Input should be greater"),
    ("devices", "expose", {"channel": "VIS", "seconds": 1e12}, "seconds: Input should be less"),
    ("devices", "expose", {"channel": "VIS", "seconds": "Infinity"}, "seconds: Input should be "
                                                                     "a finite number"),
    ("devices", "expose", {"channel": "V" * 51, "seconds": 1}, "channel: String should have at "
                                                               "most 50"),
    ("devices", "expose", {"channel": "VIS", "seconds": 1, "frame_type": "SCIENCE"},
     "frame_type: Input should be 'LIGHT', 'DARK', 'BIAS' or 'FLAT'"),
    ("devices", "expose", {"channel": "VIS", "seconds": 1, "filter": ""}, "filter: String "
                                                                          "should have at least"),
    ("devices", "expose", {"seconds": 1}, "channel: Field required"),
    ("devices", "park", {"now": True}, "now: Extra inputs are not permitted"),
    # scheduler
    ("scheduler", "insert_now", {"sequences": []}, "sequences: List should have at least 1"),
    ("scheduler", "insert_now", {"sequences": [10**30]}, "sequences.0: Input should be less"),
    ("scheduler", "insert_now", {"sequences": [-1]}, "sequences.0: Input should be greater"),
    ("scheduler", "insert_now", {"sequences": "1,2"}, "sequences: Input should be a valid list"),
    ("scheduler", "insert_now", {"sequences": list(range(1, 2002))}, "sequences: List should "
                                                                     "have at most 1000"),
    ("scheduler", "insert_now", {}, "sequences: Field required"),
    ("scheduler", "replan_now", {"reason": "x" * 1001}, "reason: String should have at most "
                                                        "1000"),
    ("scheduler", "replan_now", {"reason": NESTED}, "reason: Input should be a valid string"),
    ("scheduler", "plan", {"night": "tonight"}, "night: Extra inputs are not permitted"),
    # monitoring
    ("monitoring", "set_bypass", {"on": "yes"}, "on: Input should be a valid boolean"),
    ("monitoring", "set_bypass", {"on": 1}, "on: Input should be a valid boolean"),
    ("monitoring", "set_bypass", {}, "on: Field required"),
    ("monitoring", "status", {"x": 1}, "x: Extra inputs are not permitted"),
    # majordome
    ("majordome", "safety_changed", {"safe": "NaN"}, "safe: Input should be a valid boolean"),
    ("majordome", "safety_changed", {"reasons": ["x"] * 101}, "reasons: Tuple should have at "
                                                              "most 100"),
    ("majordome", "safety_changed", {"weather": "fine"}, "weather: Extra inputs"),
    ("majordome", "plan_changed", {"schedule": -5}, "schedule: Input should be greater"),
    # read back as 1e+20 (SQLite, MariaDB) or 100000000000000000000 (PostgreSQL)
    ("majordome", "plan_changed", {"schedule": 1e20}, "plan_changed: schedule: "),
    ("majordome", "control_changed", {"action": ["lock"]}, "action: Input should be a valid "
                                                           "string"),
    ("majordome", "status", {"verbose": True}, "verbose: Extra inputs are not permitted"),
    # alerts
    ("alerts", "ingest", {}, "packet: Field required"),
    ("alerts", "ingest", {"packet": ""}, "packet: String should have at least 1"),
    ("alerts", "ingest", {"packet": 5}, "packet: Input should be a valid string"),
    ("alerts", "ingest", {"packet": "<x/>", "source": "s" * 300}, "source: String should have "
                                                                  "at most 200"),
    # analysis
    ("analysis", "queue", {"night": "0001-01-01"}, "night: Input should be greater than or "
                                                   "equal to 1970-01-01"),
    ("analysis", "queue", {"night": "2026-02-30"}, "night: Input should be a valid date"),
    ("analysis", "queue", {"night": "yesterday"}, "night: Input should be a valid date"),
    ("analysis", "queue", {"night": NESTED}, "night: Input should be a valid date"),
    # health
    ("health", "report", {"night": "2026-02-30"}, "night: Input should be a valid date"),
    ("health", "report", {"night": "2026-11-21", "mail": "yes"}, "mail: Input should be a "
                                                                  "valid boolean"),
]


@pytest.mark.parametrize(("agent", "name", "args", "message"), HOSTILE,
                         ids=[f"{a}.{n}-{i}" for i, (a, n, _, _) in enumerate(HOSTILE)])
def test_hostile_arguments_fail_with_a_message_and_the_agent_answers_next(agent, name, args,
                                                                          message):
    assert_refused_then_alive(make_agent(agent), name, args, message)


def test_the_bus_knows_generic_commands_as_agents_declare_them():
    """The bus claims generic commands first by name: the list must be what agents run."""
    assert set(command_specs(Agent)) == GENERIC_COMMANDS


def test_every_agent_kind_has_hostile_cases():
    assert {agent for agent, *_ in HOSTILE} >= set(AGENTS) - {"agentA"}


@pytest.mark.parametrize("agent", sorted(AGENTS))
def test_generic_commands_are_checked_on_every_agent(agent):
    running = make_agent(agent)
    assert_refused_then_alive(running, "set_mode", {"mode": ["IDLE"]}, "bad arguments for "
                                                                       "set_mode: mode:")
    assert_refused_then_alive(running, "exit", {"now": True}, "now: Extra inputs")
    assert run_one(running, "set_mode", {"mode": "idle"}).result == "IDLE"
    assert run_one(running, "set_mode", {"mode": "ACTIVE"}).result == "ACTIVE"


def every_command() -> list[tuple[str, str]]:
    return [(agent, name) for agent in sorted(AGENTS) for name in sorted(commands_of(agent))]


@pytest.mark.parametrize(("agent", "name"), every_command())
def test_every_argument_of_every_command_is_named_when_wrong(agent, name):
    """Drawn from the schema itself, so that a new command is covered without a line
    here: each argument given a nested object (never a valid value), and an extra one."""
    spec = commands_of(agent)[name]
    arguments = list(spec.model.model_fields)
    running = make_agent(agent)
    hostile = {argument: NESTED for argument in arguments} | {"__proto__": 1}
    refused = run_one(running, name, hostile)
    assert refused.state == CommandState.FAILED
    for argument in [*arguments, "__proto__"]:
        assert f"{argument}:" in refused.error, (argument, refused.error)
    assert run_one(running, "ping", {}).state == CommandState.EXECUTED


def _unbounded(schema: dict[str, Any], where: str) -> list[str]:
    if "anyOf" in schema:
        return [p for option in schema["anyOf"] for p in _unbounded(option, where)]
    kind = schema.get("type")
    if "enum" in schema or kind in ("boolean", "null"):
        return []
    if kind == "string":
        if schema.get("format") == "date" or "maxLength" in schema:
            return []
        return [f"{where}: text without maxLength"]
    if kind in ("number", "integer"):
        bounded = ({"minimum", "exclusiveMinimum"} & set(schema)
                   and {"maximum", "exclusiveMaximum"} & set(schema))
        return [] if bounded else [f"{where}: number without both bounds"]
    if kind == "array":
        problems = [] if "maxItems" in schema else [f"{where}: array without maxItems"]
        return problems + _unbounded(schema.get("items", {}), f"{where}[]")
    return [f"{where}: type {kind or 'any'} not allowed in a command"]


def test_every_argument_of_every_command_is_bounded():
    problems = [problem for agent, name in every_command()
                for argument in commands_of(agent)[name].arguments()
                for problem in _unbounded(argument["schema"],
                                          f"{agent}.{name}.{argument['name']}")]
    assert problems == []


def test_the_remote_control_api_checks_the_devices_agents_own_schemas():
    """The web API validates with instruments.commands' models before sending: they must
    say what the agent's handlers say, argument for argument."""
    specs = commands_of("devices")
    for name, (model, _) in REMOTE_COMMANDS.items():
        ours = model.model_json_schema()
        theirs = specs[name].json_schema()
        assert ours.get("properties", {}) == theirs.get("properties", {}), name
        assert set(ours.get("required", [])) == set(theirs.get("required", [])), name


def test_a_handler_that_does_not_declare_its_arguments_is_refused_at_start():
    class Sloppy(Agent):
        def generic_anything(self, cmd, **whatever):
            return whatever

    with pytest.raises(BadDeclaration, match=r"\*whatever takes any argument"):
        command_specs(Sloppy)

    def untyped(self, ctx, value):
        return value

    with pytest.raises(BadDeclaration, match="argument value has no type"):
        spec_of("untyped", untyped, generic=False)


def test_what_agents_send_each_other_fits_the_schemas():
    """The wake-up and planning commands agents send, at their longest."""
    longest_key = "k" * 200  # an alert event's key column
    commands_of("scheduler")["insert_now"].validate(
        {"sequences": [1, 2], "reason": f"alert {longest_key}"})
    commands_of("majordome")["safety_changed"].validate(
        {"safe": False, "status": "NO_DATA", "reasons": ["wind: " + "w" * 500] * 10})
    commands_of("majordome")["plan_changed"].validate({"schedule": 12})
    commands_of("majordome")["control_changed"].validate({"action": "lock"})
    commands_of("monitoring")["set_bypass"].validate({"on": True})


def test_good_arguments_reach_the_handler_converted():
    agent = make_agent("agentB")
    assert run_one(agent, "calc", {"expression": "6*7"}).result == 42
    assert run_one(agent, "set_mode", {"mode": "idle"}).result == "IDLE"
    assert run_one(agent, "sleep", {"seconds": 1}).state == CommandState.SKIPPED  # IDLE
    assert run_one(agent, "set_mode", {"mode": "ACTIVE"}).result == "ACTIVE"
    analysis = make_agent("analysis")
    assert commands_of("analysis")["queue"].validate({"night": "2026-11-21"}) == {
        "night": date(2026, 11, 21)}
    assert run_one(analysis, "ping", {}).state == CommandState.EXECUTED


# --- senders: the CLI checks the same schema and refuses at once ---------------------------


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_the_cli_refuses_bad_arguments_before_sending(tmp_path, monkeypatch):
    monkeypatch.setenv("PYROS_HOME", str(tmp_path))
    result = invoke("agent", "send", "scheduler", "insert_now", "sequences=[-3]")
    assert result.exit_code == 1
    assert "bad arguments for insert_now: sequences.0: Input should be greater" in result.output
    unknown = invoke("agent", "send", "devices", "explode")
    assert unknown.exit_code == 1 and "devices has no command 'explode'" in unknown.output
    assert not Command.objects.exists()


def test_the_replan_cli_refuses_a_bad_reason_or_timeout_with_a_message(tmp_path, monkeypatch):
    monkeypatch.setenv("PYROS_HOME", str(tmp_path))
    long = invoke("schedule", "replan", "--reason", "x" * 1001)
    assert long.exit_code == 1 and "reason: String should have at most 1000" in long.output
    negative = invoke("schedule", "replan", "--timeout", "-1")
    assert negative.exit_code == 1
    assert "validity and timeout must be positive" in negative.output
    assert not Command.objects.exists()


def test_the_cli_lists_every_command_with_its_bounds(tmp_path, monkeypatch):
    monkeypatch.setenv("PYROS_HOME", str(tmp_path))
    result = invoke("agent", "commands", "devices")
    assert result.exit_code == 0, result.output
    assert "ra: number [>= 0.0, < 360.0] (required)" in result.output
    assert "frame_type: one of LIGHT, DARK, BIAS, FLAT (default 'LIGHT')" in result.output
    schemas = json.loads(invoke("agent", "commands", "devices", "--json").output)
    slew = schemas["devices"]["slew"]
    assert slew["generic"] is False and slew["arguments"]["additionalProperties"] is False
    assert slew["arguments"]["properties"]["ra"]["exclusiveMaximum"] == 360.0
    missing = invoke("agent", "commands", "nobody")
    assert missing.exit_code == 1 and "no agent named 'nobody'" in missing.output
