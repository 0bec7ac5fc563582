"""The `pyros` command, run in-process against the test database."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pyros.accounts import api_tokens
from pyros.accounts.models import ApiToken, Profile, User
from pyros.cli.main import cli
from pyros.observations.models import Album, Plan, Request, Sequence
from pyros.programs.models import Allocation, Period, ScientificProgram
from tests.conftest import request_dict

GUIDE_EXAMPLE = "examples/guide_request.xml"


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("PYROS_HOME", str(tmp_path))
    monkeypatch.delenv("PYROS_CONFIG", raising=False)
    return tmp_path


def run(*args: str, ok: bool = True):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def database_snapshot():
    return (Profile.objects.count(), User.objects.count(), Period.objects.count(),
            ScientificProgram.objects.count(), Allocation.objects.count(),
            list(User.objects.values_list("password", flat=True)))


def test_every_subcommand_has_help():
    for command in (["init"], ["start"], ["stop"], ["status"], ["update"], ["shell"],
                    ["dbshell"], ["config", "check"], ["request", "import"],
                    ["request", "export"], ["request", "list"], ["user", "token"],
                    ["user", "add"], ["backup"], ["restore"], ["images", "list"],
                    ["images", "get"]):
        assert "Usage: " in run(*command, "--help").output


@pytest.mark.django_db
def test_init_twice_changes_nothing(home):
    first = run("init", "--admin-password", "s3cret-admin-pw")
    assert "created: profile Visitor" in first.output and "program GRB" in first.output
    assert "shown once" not in first.output
    assert (home / "unit.toml").exists()
    snapshot = database_snapshot()
    second = run("init")
    assert "nothing to create" in second.output
    assert database_snapshot() == snapshot
    admin = User.objects.get(username="admin")
    assert admin.check_password("s3cret-admin-pw") and admin.is_superuser
    grb = ScientificProgram.objects.get(name="GRB")
    assert grb.members.filter(pk=admin.pk).exists()
    assert [p.name for p in Profile.objects.all()] == [
        "Visitor", "TAC", "Observer", "IE/IS", "Operator", "Superoperator", "PI", "SysAdmin"]


@pytest.mark.django_db
def test_init_generates_and_prints_a_password_once(home):
    output = run("init").output
    password = output.split("(shown once): ")[1].strip()
    assert User.objects.get(username="admin").check_password(password)


def test_import_export_list_round_trip(initial_data, tmp_path):
    request_id = int(run("request", "import", GUIDE_EXAMPLE).output.strip())
    exported = run("request", "export", str(request_id)).output
    copy = tmp_path / "copy.xml"
    copy.write_text(exported)
    second_id = int(run("request", "import", str(copy), "--owner", "admin").output.strip())
    assert run("request", "export", str(second_id)).output == exported
    as_json = tmp_path / "copy.json"
    run("request", "export", str(request_id), "--format", "json", "-o", str(as_json))
    third_id = int(run("request", "import", str(as_json)).output.strip())
    assert run("request", "export", str(third_id)).output == exported
    listed = json.loads(run("request", "list", "--json").output)
    assert [r["id"] for r in listed] == [third_id, second_id, request_id]
    assert listed[0] | {"id": 0, "created_at": ""} == {
        "id": 0, "name": "RequestSimulator", "program": "GRB", "owner": "admin",
        "status": "SUBMITTED", "sequences": 1, "created_at": ""}
    table = run("request", "list").output
    assert "3 requests" in table and table.count("SUBMITTED") == 3


@pytest.mark.parametrize(("content", "suffix", "expected"), [
    ('<request name="r" scientific_program="GRB"><sequence name="s" ra="400" dec="0" '
     'start="2026-11-22T00:00:00Z" end="2026-11-23T00:00:00Z" duration="60"><album name="a" '
     'detector="Visible camera"><plan name="p" filter="r" duration="1"/></album></sequence>'
     "</request>", ".xml", "line 1: request 'r' > sequence 1 's', field 'ra'"),
    ('<request name="r" scientific_program="GRB"><sequence name="s" ra="4" dec="0" '
     'start="2026-11-22T00:00:00Z" end="2026-11-23T00:00:00Z" duration="60"><album name="a" '
     'detector="Visible camera"><plan name="p" filter="U" duration="1"/></album></sequence>'
     "</request>", ".xml", "plan 1 'p', field 'filter': 'U' is not a filter"),
    (json.dumps(request_dict(scientific_program="NOPE")), ".json",
     "there is no scientific program 'NOPE'"),
    ("<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><request>&e;</request>", ".xml",
     "a DOCTYPE is not allowed"),
    ("{not json", ".json", "not valid JSON"),
])
def test_invalid_files_exit_non_zero_and_store_nothing(initial_data, tmp_path, content, suffix,
                                                       expected):
    path = tmp_path / f"bad{suffix}"
    path.write_text(content)
    result = run("request", "import", str(path), ok=False)
    assert result.exit_code == 1
    assert expected in result.output
    assert (Request.objects.count(), Sequence.objects.count(), Album.objects.count(),
            Plan.objects.count()) == (0, 0, 0, 0)


def test_unknown_owner_and_request(initial_data):
    result = run("request", "import", GUIDE_EXAMPLE, "--owner", "nobody", ok=False)
    assert result.exit_code == 1 and "no active user 'nobody'" in result.output
    result = run("request", "export", "999", ok=False)
    assert result.exit_code == 1 and "there is no request #999" in result.output


def test_config_check(tmp_path):
    assert "valid. Unit COLIBRI-sim" in run("config", "check",
                                            "src/pyros/config/example_unit.toml").output
    bad = tmp_path / "bad.toml"
    bad.write_text(Path("src/pyros/config/example_unit.toml").read_text().replace(
        "slew_rate_ra = 20.0", "slew_rate_ra = 0"))
    result = run("config", "check", str(bad), ok=False)
    assert result.exit_code == 1
    assert "mount.slew_rate_ra: Input should be greater than 0" in result.output


def test_user_add_and_token(initial_data):
    result = CliRunner().invoke(cli, ["user", "add", "carol", "--profile", "observer",
                                      "--program", "GRB", "--password-stdin"],
                                input="pw-carol-123\n")
    assert result.exit_code == 0, result.output
    carol = User.objects.get(username="carol")
    assert carol.check_password("pw-carol-123")
    assert carol.profile.name == "Observer"
    assert ScientificProgram.objects.get(name="GRB").members.filter(pk=carol.pk).exists()
    token = run("user", "token", "carol").stdout.strip()
    assert len(token) == 40
    assert ApiToken.objects.get(user=carol).digest == api_tokens.digest(token)
    rotated = run("user", "token", "carol").stdout.strip()
    assert len(rotated) == 40 and rotated != token
    assert ApiToken.objects.get(user=carol).digest == api_tokens.digest(rotated)


@pytest.mark.django_db
def test_user_add_without_a_terminal_says_how_to_give_the_password(initial_data):
    """In a script the prompt had no terminal and failed; now the error says what to do,
    and a generated password is printed once."""
    refused = CliRunner().invoke(cli, ["user", "add", "dave", "--profile", "observer"])
    assert refused.exit_code == 1
    assert "no terminal to ask the password on" in refused.output
    assert "--password-stdin" in refused.output and "--generate-password" in refused.output
    assert not User.objects.filter(username="dave").exists()
    empty = CliRunner().invoke(cli, ["user", "add", "dave", "--profile", "observer",
                                     "--password-stdin"], input="\n")
    assert empty.exit_code == 1 and "gave no password" in empty.output
    both = CliRunner().invoke(cli, ["user", "add", "dave", "--profile", "observer",
                                    "--password-stdin", "--generate-password"])
    assert both.exit_code == 2 and "cannot be used together" in both.output
    made = run("user", "add", "dave", "--profile", "observer", "--generate-password")
    password = made.output.split("(shown once): ")[1].strip()
    assert len(password) >= 16
    assert User.objects.get(username="dave").check_password(password)
