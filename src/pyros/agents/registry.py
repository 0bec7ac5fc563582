"""Which agent class runs under which name. Names are what the unit configuration's
``[[computers]] agents`` and ``pyros start NAME,NAME`` use."""

from __future__ import annotations

import os
from importlib import import_module

AGENTS: dict[str, str] = {
    "agentA": "pyros.agents.testing:AgentA",
    "alerts": "pyros.alerts.agent:AlertAgent",
    "analysis": "pyros.analysis.agent:AnalysisAgent",
    "agentB": "pyros.agents.testing:AgentB",
    "devices": "pyros.instruments.agent:DevicesAgent",
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
