"""Alpaca discovery on loopback: the UDP question, the servers' answers, their devices,
and ``pyros device discover`` printing them as configuration entries."""

from __future__ import annotations

import json
import socket

from click.testing import CliRunner

from pyros.cli.main import cli
from pyros.devices.alpaca.discovery import (
    FoundServer,
    _answer,
    configured_devices,
    discover,
)
from pyros.ports import free_ports


def test_discovery_finds_the_server_and_its_http_port(alpaca):
    simulator = alpaca.simulator
    found = discover("127.0.0.1", simulator.discovery_port, timeout=1.0)
    assert found == [FoundServer("127.0.0.1", simulator.port)]
    assert found[0].address == simulator.address


def test_no_answer_is_an_empty_list_after_the_timeout():
    (silent,) = free_ports(1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as nobody:
        nobody.bind(("127.0.0.1", silent))  # it listens, never answers
        assert discover("127.0.0.1", silent, timeout=0.3) == []


def test_datagrams_that_are_no_alpaca_answer_are_ignored():
    assert _answer("h", b'{"AlpacaPort": 11111}') == FoundServer("h", 11111)
    for junk in (b"hello", b"[]", b'{"AlpacaPort": "80"}', b'{"AlpacaPort": 70000}',
                 b'{"AlpacaPort": true}', b"{}"):
        assert _answer("h", junk) is None, junk


def test_the_management_api_lists_the_devices(alpaca):
    devices = configured_devices(alpaca.simulator.address)
    kinds = [(d.device_type, d.number, d.kind) for d in devices]
    assert ("camera", 1, "camera") in kinds and ("telescope", 0, "mount") in kinds
    assert ("safetymonitor", 0, "weather") in kinds
    assert len(devices) == 9  # telescope, dome, 2 cameras, 2 wheels, focuser, weather x2


def test_pyros_device_discover_prints_configuration_entries(alpaca):
    simulator = alpaca.simulator
    result = CliRunner().invoke(cli, ["device", "discover", "--address", "127.0.0.1",
                                      "--port", str(simulator.discovery_port),
                                      "--timeout", "1"])
    assert result.exit_code == 0, result.output
    assert f"# Alpaca server {simulator.address}" in result.output
    assert ('[devices.camera_nir]\nkind = "camera"\nbackend = "alpaca"\n'
            f'address = "{simulator.address}"\nalpaca_device = 1\n') in result.output
    assert 'alpaca_type = "safetymonitor"' in result.output
    as_json = CliRunner().invoke(cli, ["device", "discover", "--address", "127.0.0.1",
                                       "--port", str(simulator.discovery_port),
                                       "--timeout", "1", "--json"])
    listed = json.loads(as_json.output)
    assert listed[0]["server"] == simulator.address and len(listed[0]["devices"]) == 9


def test_pyros_device_discover_says_when_nobody_answered():
    (silent,) = free_ports(1)
    result = CliRunner().invoke(cli, ["device", "discover", "--address", "127.0.0.1",
                                      "--port", str(silent), "--timeout", "0.2"])
    assert result.exit_code == 0
    assert "no Alpaca server answered on 127.0.0.1" in result.output
