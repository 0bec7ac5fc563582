"""The two-computers test says why it cannot run rather than failing."""

from __future__ import annotations

from tests.twocomputers import lab


def test_not_root_is_a_reason_to_skip(monkeypatch):
    monkeypatch.setattr(lab.os, "geteuid", lambda: 1000)
    assert "need root" in lab.why_not_available()


def test_no_ip_command_is_a_reason_to_skip(monkeypatch):
    monkeypatch.setattr(lab.os, "geteuid", lambda: 0)
    monkeypatch.setattr(lab.shutil, "which", lambda name: None)
    assert "`ip` command" in lab.why_not_available()
