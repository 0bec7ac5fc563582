"""Telling the running processes that the configuration changed, and saying honestly
which took it and which need ``pyros stop && pyros start``.

Agents are sent the generic command ``reload_config``: each compares the new file with
what it runs on and takes it unless a section it built its state from at start
changed (``Agent.restart_sections``). The web workers read the file again at their next
request when it changed on disk (``ConfigRefreshMiddleware``), except what Django's
settings fixed at start. The other processes of ``pyros start`` read the configuration
once, at start: the table below.
"""

from __future__ import annotations

import time
from typing import Any

from pyros import clock
from pyros.agents import bus
from pyros.agents.models import AgentSurvey
from pyros.agents.states import CommandState
from pyros.config.editing import changed_sections
from pyros.config.schema import UnitConfig

RESTART = "pyros stop && pyros start"
#: Processes that are not agents: the sections they read only at start.
PROCESSES: dict[str, tuple[str, frozenset[str]]] = {
    "web": ("the web server (gunicorn): its Django settings (allowed hosts, database)",
            frozenset({"web", "database"})),
    "supervisor": ("the supervisor of `pyros start`: which agents run on which computer",
                   frozenset({"computers"})),
    "broker": ("the local VOEvent broker (Comet), when the alerts agent runs",
               frozenset({"alerts"})),
    "simulators": ("the simulated devices and PLC, when started with them",
                   frozenset({"devices", "channels", "mount", "site"})),
}
WAIT = 5.0  # seconds the page waits for the agents' answers


def _agent_line(survey: AgentSurvey, handle: bus.CommandHandle | None) -> dict[str, Any]:
    line: dict[str, Any] = {"agent": survey.name, "computer": survey.computer}
    if handle is None:
        line.update(outcome="not running", detail="reads the new file when it starts")
        return line
    line["command"] = handle.id
    if handle.state == CommandState.EXECUTED and isinstance(handle.result, dict):
        result = handle.result
        if result.get("reloaded"):
            line.update(outcome="reloaded", detail="took the new configuration")
        else:
            blocking = ", ".join(result.get("restart_for", []))
            line.update(outcome="restart", detail=f"changed sections it reads only at start: "
                                                  f"{blocking}; run {RESTART}")
    elif handle.done:
        line.update(outcome="failed", detail=f"{handle.state}: {handle.error}")
    else:
        line.update(outcome="no answer", detail=f"no answer within {WAIT:g} s "
                                                f"(command #{handle.id}); it will take it "
                                                "when it reads its commands, or restart it")
    return line


def tell_processes(old: UnitConfig, new: UnitConfig, *, sender: str,
                   new_file: bool = False, wait: float = WAIT) -> dict[str, Any]:
    """Send reload_config to every living agent, wait for their answers (``wait``
    seconds in all) and say what each process did. ``new_file``: the save created the
    data directory's unit.toml, which every process switches to at its next read."""
    changed = sorted(changed_sections(old, new))
    report: dict[str, Any] = {"changed": changed, "agents": [], "processes": [],
                              "restart_needed": False, "new_file": new_file}
    if not changed:
        return report
    now = clock.now()
    surveys: dict[str, AgentSurvey] = {}
    for survey in AgentSurvey.objects.order_by("name", "computer"):
        surveys.setdefault(survey.name, survey)
    handles: dict[str, bus.CommandHandle | None] = {}
    for name, survey in surveys.items():
        handles[name] = (bus.send_command(name, "reload_config", sender=sender,
                                          validity=wait + 60, timeout=10)
                         if survey.is_alive(now) else None)
    deadline = time.monotonic() + wait
    for handle in handles.values():
        if handle is not None:
            handle.wait(max(0.0, deadline - time.monotonic()))
    report["agents"] = [_agent_line(surveys[name], handle) for name, handle in handles.items()]
    for name, (what, sections) in PROCESSES.items():
        blocking = sorted(sections & set(changed))
        report["processes"].append({
            "process": name, "what": what,
            "outcome": "restart" if blocking else "unaffected",
            "detail": (f"reads {', '.join(blocking)} only at start: run {RESTART}"
                       if blocking else "not concerned by the changed sections")})
    if new_file:
        report["processes"].append({
            "process": "all", "what": "every process", "outcome": "restart",
            "detail": "the data directory's unit.toml is new: every process switches to it "
                      f"at its next read, whatever it built at start; run {RESTART}"})
    report["restart_needed"] = any(
        line["outcome"] in ("restart", "failed", "no answer")
        for line in report["agents"] + report["processes"])
    return report
