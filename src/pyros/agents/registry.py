"""Which agent class runs under which name. Names are what the unit configuration's
``[[computers]] agents`` and ``pyros start NAME,NAME`` use."""

from __future__ import annotations

import os
from importlib import import_module
from typing import Any

from pyros.agents.schema import BadArguments, CommandSpec, command_specs

AGENTS: dict[str, str] = {
    "agentA": "pyros.agents.testing:AgentA",
    "alerts": "pyros.alerts.agent:AlertAgent",
    "analysis": "pyros.analysis.agent:AnalysisAgent",
    "agentB": "pyros.agents.testing:AgentB",
    "devices": "pyros.instruments.agent:DevicesAgent",
    "health": "pyros.health.agent:HealthAgent",
    "majordome": "pyros.majordome.agent:MajordomeAgent",
    "monitoring": "pyros.monitoring.agent:MonitoringAgent",
    "scheduler": "pyros.scheduling.agent:SchedulerAgent",
}


MAJORDOME_VARIABLE = "PYROS_MAJORDOME"


def majordome_name() -> str:
    """The agent the monitoring, the scheduler and the control page wake: "majordome",
    or another name given in ``PYROS_MAJORDOME`` (a benchmark's own majordome)."""
    return os.environ.get(MAJORDOME_VARIABLE, "majordome")


class UnknownAgent(Exception):
    pass


def agent_class(name: str) -> type:
    try:
        module_name, class_name = AGENTS[name].split(":")
    except KeyError:
        raise UnknownAgent(f"no agent named '{name}' (agents: {', '.join(AGENTS)})") from None
    return getattr(import_module(module_name), class_name)


class UnknownCommand(BadArguments):
    pass


def commands_of(name: str) -> dict[str, CommandSpec]:
    """The commands agent ``name`` answers, with their arguments' schemas: what its class
    declares, so that a sender checks a command exactly as the agent will."""
    return command_specs(agent_class(name))


def check_command(recipient: str, name: str, args: dict[str, Any]) -> None:
    """Check a command for a registered agent before sending it: UnknownCommand or
    BadArguments with the agent's own message. Agents outside the registry (a
    benchmark's majordome under another name) are left to check for themselves."""
    if recipient not in AGENTS:
        return
    specs = commands_of(recipient)
    spec = specs.get(name)
    if spec is None:
        raise UnknownCommand(f"{recipient} has no command '{name[:100]}' (commands: "
                             f"{', '.join(sorted(specs))})")
    spec.validate(args)
