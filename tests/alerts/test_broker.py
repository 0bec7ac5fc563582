"""From a packet handed to the local Comet broker to tonight's plan, with real
processes: the broker, the alerts agent and the scheduler agent, on the test database."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from pyros import clock
from pyros.alerts.bench import high_in_tonights_sky
from pyros.alerts.models import AlertLog, AlertPacket, Step
from pyros.alerts.synthetic import fresh_packet
from pyros.alerts.transport import TransportError, send_packet
from pyros.ports import free_port
from tests.agents.conftest import agent_env, real_clock, start_agent, wait_until  # noqa: F401

#: Dark time at the example site: the tests must not depend on the hour they run at (an
#: alert's window is 12 h, and by day it may not reach the next night).
NIGHT = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


@pytest.fixture
def night_clock(agent_env, monkeypatch):  # noqa: F811
    """The test and every process it starts on one clock, running from NIGHT."""
    environment = clock.clock_environment(NIGHT, 1.0)
    agent_env.update(environment)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    previous = clock.get_clock()
    clock.install_from_environment(environment)
    yield
    clock.set_clock(previous)


@pytest.fixture
def broker(agent_env, night_clock, tmp_path):  # noqa: F811
    """A broker of its own: Comet refuses a packet whose text it has seen (its event
    database would otherwise be shared by the suite's runs on each database)."""
    port = free_port()
    environment = {**agent_env, "PYROS_HOME": str(tmp_path / "broker")}
    process = subprocess.Popen([sys.executable, "-m", "pyros.alerts.broker", "--port",
                                str(port)], env=environment, stdin=subprocess.DEVNULL)

    def listening() -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    wait_until(listening, "the broker to listen")
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
    wait_until(lambda: AlertLog.objects.filter(step=Step.PLAN).exists(),
               "the plan answer in the decision log")
    packet = AlertPacket.objects.get()
    assert packet.decision == "ACCEPTED", packet.reason
    assert packet.source == "broker"
    plan = AlertLog.objects.get(step=Step.PLAN)
    assert plan.message.startswith("plan #"), plan.message
    # The same packet again: Comet refuses what it has already seen.
    acknowledged, answer = send_packet("127.0.0.1", broker, data)
    assert not acknowledged


@pytest.mark.django_db(transaction=True)
def test_a_packet_already_stored_is_a_duplicate_through_the_broker(
        initial_data, broker, tmp_path):
    """`pyros alert send` of a packet the database holds (taken by `alert ingest
    --store`, the drop folder...) says DUPLICATE and exits 2; a packet only read is new."""
    from click.testing import CliRunner

    from pyros.alerts.store import ingest
    from pyros.cli.main import cli
    from pyros.config.loader import active_config

    ra, dec = high_in_tonights_sky()
    stored, only_read = tmp_path / "stored.xml", tmp_path / "read.xml"
    stored.write_bytes(fresh_packet(990011, clock.now(), ra, dec))
    only_read.write_bytes(fresh_packet(990012, clock.now(), ra, dec))
    assert ingest(stored.read_bytes(), source="file stored.xml", unit=active_config(),
                  store=True).stored
    assert not ingest(only_read.read_bytes(), source="file read.xml",
                      unit=active_config(), store=False).stored
    sent = CliRunner().invoke(cli, ["alert", "send", str(stored), "--port", str(broker)])
    assert sent.exit_code == 2, sent.output
    assert "stored.xml: DUPLICATE nak" in sent.output
    assert "already received" in sent.output and "file stored.xml" in sent.output
    fresh = CliRunner().invoke(cli, ["alert", "send", str(only_read), "--port", str(broker)])
    assert fresh.exit_code == 0, fresh.output
    assert "read.xml: ack" in fresh.output


def test_a_broker_that_is_not_there_is_said_so():
    with pytest.raises(TransportError, match="cannot send"):
        send_packet("127.0.0.1", free_port(), b"<x/>", timeout=2)


@pytest.mark.django_db(transaction=True)
def test_the_latency_benchmark_measures_every_stage_and_cleans_up(initial_data, agent_env,  # noqa: F811
                                                                  night_clock, monkeypatch):
    from pyros.alerts.bench import run_alert_bench
    from pyros.observations.models import Request

    for key in ("DATABASE_URL", "PYROS_HOME"):
        monkeypatch.setenv(key, agent_env[key])
    report = run_alert_bench(3)
    assert report.planned == 3
    assert set(report.p50_ms) == {"record", "request", "plan"}
    assert report.p50_ms["record"] <= report.p50_ms["request"] <= report.p50_ms["plan"]
    assert not AlertPacket.objects.exists() and not Request.objects.exists()


@pytest.mark.whole_pyros
@pytest.mark.django_db(transaction=True)
def test_the_benchmark_measures_the_slew_with_a_majordome_and_puts_everything_back(
        initial_data, agent_env, night_clock, monkeypatch):  # noqa: F811
    """The busy telescope: each alert stops a sequence that is exposing."""
    from pyros.alerts.bench import run_alert_bench
    from pyros.images.models import Image
    from pyros.instruments.models import OperatingMode
    from pyros.majordome.models import MajordomeState, NightLogEntry
    from pyros.monitoring.models import SafetyState
    from pyros.observations.models import Request
    from pyros.scheduling.models import Schedule

    for key in ("DATABASE_URL", "PYROS_HOME"):
        monkeypatch.setenv(key, agent_env[key])
    report = run_alert_bench(2, slew=True, busy=True)
    assert report.slewed == 2 and report.preempted == 2
    # After the request; not always after the alerts agent logs the plan: the scheduler
    # wakes the majordome before it answers the alerts agent.
    assert report.p50_ms["request"] <= report.p50_ms["slew"]
    assert not Request.objects.exists() and not Schedule.objects.exists()
    assert not Image.objects.exists() and not NightLogEntry.objects.exists()
    assert not SafetyState.objects.exists() and not MajordomeState.objects.exists()
    assert not OperatingMode.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_real_archived_packet_redated_is_judged_as_a_fresh_alert(initial_data, broker,
                                                                   start_agent, agent_env):  # noqa: F811
    from pathlib import Path

    start_agent("alerts")
    packet = Path(__file__).parent / "data" / "swift_bat_grb_pos_655721.xml"
    sent = subprocess.run([sys.executable, "-m", "pyros.cli", "alert", "send", "--redate",
                           "--port", str(broker), str(packet)], env=agent_env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    wait_until(lambda: AlertLog.objects.filter(step__in=[Step.ACCEPTED, Step.REJECTED])
               .exists(), "the strategy's decision")
    record = AlertPacket.objects.get()
    assert abs((record.event_time - clock.now()).total_seconds()) < 30  # 2015 → tonight
    assert "too late" not in record.reason


@pytest.mark.django_db(transaction=True)
def test_real_packets_once_refused_pass_the_broker_flagged_and_grouped(initial_data, broker,
                                                                       start_agent):  # noqa: F811
    """SVOM's GRM trigger (error radius -1), ANTARES' empty citation (and its params'
    dataType="bool"), the Fermi GBM VOEvent 1.1 notice and an IceCube packet with text in
    its Who (the last three naked by Comet's schema check) pass the broker; the agent keeps
    them, flagged, and the ECLAIRs packet of the same burst joins the GRM trigger's event.
    A hostile packet is still refused there, with the intake's reason."""
    from pyros.alerts.models import RefusedPacket
    from tests.alerts import alert, packet
    from tests.alerts.test_real_quirks import ANTARES, ECLAIRS, GBM, GRM

    start_agent("alerts")
    for name in (GRM, ECLAIRS, ANTARES, GBM, "icecube_gold_134191_17593623_rev0.xml"):
        acknowledged, answer = send_packet("127.0.0.1", broker, packet(name))
        assert acknowledged, f"{name}: {answer}"
    hostile = packet(GRM).replace(b"<voe:VOEvent", b'<!DOCTYPE v [<!ENTITY a "b">]><voe:VOEvent', 1)
    acknowledged, answer = send_packet("127.0.0.1", broker, hostile)
    assert not acknowledged and "DOCTYPE" in answer
    wait_until(lambda: AlertPacket.objects.count() == 5, "the five packets stored")
    assert AlertPacket.objects.get(ivorn=alert(GBM).ivorn).event.key == "Fermi:336801278"
    assert not RefusedPacket.objects.exists()
    grm, eclairs, antares = (AlertPacket.objects.get(ivorn=alert(name).ivorn)
                             for name in (GRM, ECLAIRS, ANTARES))
    assert grm.event_id == eclairs.event_id and grm.event.key == "SVOM:sb26050402"
    assert grm.event.position_ivorn == eclairs.ivorn
    assert "error radius is negative" in grm.record["flags"][0]
    assert "empty citation" in antares.record["flags"][0]
    assert all(p.source == "broker" for p in (grm, eclairs, antares))
