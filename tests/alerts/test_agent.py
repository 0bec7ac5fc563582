"""The alerts agent: packets from the inbox and from commands, and the plan answer in the
decision log. The scheduler answers in-process here (its own tests cover the bus)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from pyros.alerts import agent as alerts_agent
from pyros.alerts.agent import AlertAgent
from pyros.alerts.models import AlertLog, RefusedPacket, Step
from pyros.config.loader import active_config
from pyros.scheduling.agent import SchedulerAgent, _summary
from tests.alerts import DATA
from tests.alerts.test_intake import BAT, at  # noqa: F401  (a fixture)


@dataclass
class Answer:
    state: str
    result: Any = None
    error: str = ""


@pytest.fixture
def scheduler_in_process(monkeypatch):
    scheduler = SchedulerAgent("scheduler", unit=active_config(), time_limit=0.5)
    asked = []

    def send(recipient, name, *, sender, validity, timeout, sequences, reason):
        asked.append((recipient, name, sequences))

        class Handle:
            def wait(self, seconds):
                schedule = scheduler.insert(sequences, detail=reason)
                return Answer("EXECUTED", _summary(schedule, sequences))

        return Handle()

    monkeypatch.setattr(alerts_agent, "send_command", send)
    return asked


def test_a_dropped_packet_is_planned_and_the_plan_is_logged(at, tmp_path,  # noqa: F811
                                                            scheduler_in_process):
    at(BAT, 120)
    agent = AlertAgent("alerts", unit=active_config(), inbox=tmp_path / "inbox")
    agent.init()
    (tmp_path / "inbox" / "bat.xml").write_bytes((DATA / BAT).read_bytes())
    agent.routine()
    assert not list((tmp_path / "inbox").iterdir())
    assert len(list((tmp_path / "done").iterdir())) == 1
    assert scheduler_in_process and scheduler_in_process[0][:2] == ("scheduler", "insert_now")
    plan = AlertLog.objects.get(step=Step.PLAN)
    assert plan.message.startswith("plan #") and plan.data["position"] >= 1


def test_a_hostile_command_packet_is_refused_and_the_agent_goes_on(at, tmp_path):  # noqa: F811
    at(BAT, 120)
    agent = AlertAgent("alerts", unit=active_config(), inbox=tmp_path / "inbox")
    hostile = ('<?xml version="1.0"?><!DOCTYPE v [<!ENTITY a "aaaaaaaa">'
               '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><v>&b;</v>')
    result = agent.handle(hostile.encode(), source="test")
    assert result.decision == "REFUSED"
    assert RefusedPacket.objects.count() == 1
    assert agent.handle(b"garbage", source="test").decision == "REFUSED"
