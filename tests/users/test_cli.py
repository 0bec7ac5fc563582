"""``pyros user list / passwd / set-profile / deactivate / activate``, in-process, with
the service's rules."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from pyros.accounts.models import User
from pyros.accounts.profiles import ProfileLevel
from pyros.cli.main import cli
from tests.users.conftest import queued_to

pytestmark = pytest.mark.django_db


def run(*args: str, ok: bool = True, stdin: str | None = None):
    result = CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code == 1, result.output
    return result


def test_list(people, monkeypatch):
    monkeypatch.delenv("PYROS_USER", raising=False)
    lines = run("user", "list").output.splitlines()
    assert len(lines) == 8 and lines[0].split()[:3] == ["admin", "SysAdmin", "active"]
    assert run("user", "list", "--profile", "observer").output.split()[0] == "u-observer"
    assert run("user", "list", "--inactive").output == ""
    data = json.loads(run("user", "list", "--json", "--profile", "ie_is").output)
    assert [(u["username"], u["profile"]) for u in data] == [("u-ie_is", "ie_is")]


def test_set_profile_as_actors(people, pi, admin, observer_account):
    assert "Observer → PI" in run("user", "set-profile", "u-observer", "pi").output
    run("user", "set-profile", "u-observer", "observer")
    out = run("user", "set-profile", "u-observer", "sysadmin", "--as", "u-pi", ok=False).output
    assert "may not give the SYSADMIN profile" in out
    out = run("user", "set-profile", "admin", "pi", "--as", "u-pi", ok=False).output
    assert "cannot change a SysAdmin" in out
    out = run("user", "set-profile", "u-pi", "sysadmin", "--as", "u-pi", ok=False).output
    assert "own profile" in out
    out = run("user", "set-profile", "u-tac", "pi", "--as", "u-observer", ok=False).output
    assert "may not manage users" in out
    out = run("user", "set-profile", "admin", "pi", ok=False).output
    assert "last active SysAdmin" in out
    assert run("user", "set-profile", "nobody", "pi", ok=False).output.endswith(
        "no user 'nobody'\n")
    assert "no active user 'ghost'" in run("user", "set-profile", "u-tac", "pi", "--as",
                                           "ghost", ok=False).output
    assert User.objects.get(username="admin").level == ProfileLevel.SYSADMIN


def test_acting_user_from_the_environment(people, monkeypatch):
    monkeypatch.setenv("PYROS_USER", "u-operator")
    assert "may not manage users" in run("user", "deactivate", "u-tac", ok=False).output
    monkeypatch.setenv("PYROS_USER", "u-pi")
    assert "deactivated" in run("user", "deactivate", "u-tac").output


def test_deactivate_and_activate_mail_the_user(people):
    run("user", "deactivate", "u-tac")
    assert not User.objects.get(username="u-tac").is_active
    assert queued_to("u-tac@example.org") == 1  # in the outbox, sent when it commits
    assert run("user", "list", "--inactive").output.split()[0] == "u-tac"
    run("user", "activate", "u-tac")
    assert User.objects.get(username="u-tac").is_active and queued_to("u-tac@example.org") == 2
    assert "last active SysAdmin" in run("user", "deactivate", "admin", ok=False).output


def test_passwd(people):
    run("user", "passwd", "u-tac", stdin="a-long-Passw0rd-1\na-long-Passw0rd-1\n")
    assert User.objects.get(username="u-tac").check_password("a-long-Passw0rd-1")
    result = CliRunner().invoke(cli, ["user", "passwd", "u-tac"],
                                input="a-long-Passw0rd-2\nsomething-else-22\n")
    assert result.exit_code != 0  # the two entries differ: asked again, then no input
    assert User.objects.get(username="u-tac").check_password("a-long-Passw0rd-1")
    run("user", "passwd", "u-tac", "--password-stdin", stdin="stdin-Passw0rd-3\n")
    assert User.objects.get(username="u-tac").check_password("stdin-Passw0rd-3")
    assert "too short" in run("user", "passwd", "u-tac", "--password-stdin", stdin="x1\n",
                              ok=False).output
    assert "cannot change a SysAdmin" in run("user", "passwd", "admin", "--as", "u-pi",
                                             "--password-stdin", stdin="stdin-Passw0rd-4\n",
                                             ok=False).output
    run("user", "passwd", "u-tac", "--as", "u-tac", "--password-stdin", stdin="own-Passw0rd-5\n")
    assert User.objects.get(username="u-tac").check_password("own-Passw0rd-5")


def test_every_new_command_has_help():
    for command in (["user", "list"], ["user", "passwd"], ["user", "set-profile"],
                    ["user", "deactivate"], ["user", "activate"], ["bench", "users"]):
        result = CliRunner().invoke(cli, [*command, "--help"])
        assert result.exit_code == 0 and "Usage: " in result.output
