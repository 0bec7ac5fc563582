"""Free ports from a range of one's own (pyros.ports), and the suite's slices of it per
worker (tests/workers.py). The ranges tried here (19000-19024) lie below the suite's
(20000-29999), where the other workers' servers are."""

from __future__ import annotations

import socket

import pytest

from pyros import ports
from tests.workers import worker_ports


def test_ports_come_from_the_range_distinct_and_free(monkeypatch):
    monkeypatch.setenv(ports.RANGE_VARIABLE, "19000-19009")
    with socket.socket() as busy:
        busy.bind((ports.HOST, 19003))
        busy.listen()
        chosen = ports.free_ports(9)
    assert sorted(chosen) == [p for p in range(19000, 19010) if p != 19003]


def test_a_range_used_up_is_an_error_that_names_it(monkeypatch):
    monkeypatch.setenv(ports.RANGE_VARIABLE, "19010-19011")
    with pytest.raises(OSError, match="no 3 free ports left in PYROS_PORT_RANGE=19010-19011"):
        ports.free_ports(3)


def test_successive_ports_go_round_the_range(monkeypatch):
    """A port just given back is not given again at once (its server may still be
    closing), but after the rest of the range."""
    monkeypatch.setenv(ports.RANGE_VARIABLE, "19020-19024")
    first = [ports.free_port() for _ in range(5)]
    assert sorted(first) == list(range(19020, 19025))
    assert [ports.free_port() for _ in range(5)] == first


@pytest.mark.parametrize("text", ["20000", "a-b", "30000-20000", "80-90", "65000-70000"])
def test_a_malformed_range_is_refused(monkeypatch, text):
    monkeypatch.setenv(ports.RANGE_VARIABLE, text)
    with pytest.raises(ValueError, match="PYROS_PORT_RANGE"):
        ports.free_port()


def test_without_a_range_the_kernel_chooses(monkeypatch):
    monkeypatch.delenv(ports.RANGE_VARIABLE)
    assert len(set(ports.free_ports(3))) == 3


def test_workers_get_slices_that_do_not_overlap():
    slices = [worker_ports(range(22500, 25000), index, 3) for index in range(3)]
    assert slices == ["22500-23332", "23333-24165", "24166-24998"]
    with pytest.raises(ValueError, match="too few for 60 workers"):
        worker_ports(range(22500, 25000), 0, 60)
