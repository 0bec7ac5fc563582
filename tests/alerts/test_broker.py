"""From a packet handed to the local Comet broker to tonight's plan, with real
processes: the broker, the alerts agent and the scheduler agent, on the test database."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from pyros import clock
from pyros.alerts.bench import high_in_tonights_sky
from pyros.alerts.models import AlertLog, AlertPacket, Step
from pyros.alerts.synthetic import fresh_packet
from pyros.alerts.transport import TransportError, send_packet
from tests.agents.conftest import agent_env, real_clock, start_agent, wait_until  # noqa: F401


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def broker(agent_env):  # noqa: F811
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "pyros.alerts.broker", "--port",
                                str(port)], env=agent_env, stdin=subprocess.DEVNULL)

    def listening() -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    wait_until(listening, 30, "the broker to listen")
    yield port
    process.terminate()
    process.wait(15)


@pytest.mark.django_db(transaction=True)
def test_a_packet_through_the_broker_is_planned(initial_data, broker, start_agent):  # noqa: F811
    start_agent("scheduler")
    start_agent("alerts")
    ra, dec = high_in_tonights_sky()
    data = fresh_packet(990001, clock.now(), ra, dec)
    acknowledged, answer = send_packet("127.0.0.1", broker, data)
    assert acknowledged, answer
    wait_until(lambda: AlertLog.objects.filter(step=Step.PLAN).exists(), 60,
               "the plan answer in the decision log")
    packet = AlertPacket.objects.get()
    assert packet.decision == "ACCEPTED", packet.reason
    assert packet.source == "broker"
    plan = AlertLog.objects.get(step=Step.PLAN)
    assert plan.message.startswith("plan #"), plan.message
    # The same packet again: Comet refuses what it has already seen.
    acknowledged, answer = send_packet("127.0.0.1", broker, data)
    assert not acknowledged


def test_a_broker_that_is_not_there_is_said_so():
    with pytest.raises(TransportError, match="cannot send"):
        send_packet("127.0.0.1", free_port(), b"<x/>", timeout=2)


@pytest.mark.django_db(transaction=True)
def test_the_latency_benchmark_measures_every_stage_and_cleans_up(initial_data, agent_env,  # noqa: F811
                                                                  monkeypatch):
    from pyros.alerts.bench import run_alert_bench
    from pyros.observations.models import Request

    for key in ("DATABASE_URL", "PYROS_HOME"):
        monkeypatch.setenv(key, agent_env[key])
    report = run_alert_bench(3)
    assert report.planned == 3
    assert set(report.p50_ms) == {"record", "request", "plan"}
    assert report.p50_ms["record"] <= report.p50_ms["request"] <= report.p50_ms["plan"]
    assert not AlertPacket.objects.exists() and not Request.objects.exists()
