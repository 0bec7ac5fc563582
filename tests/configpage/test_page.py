"""The Configuration page through Django's test client: who may see it, a bad text
refused with every key named and the file untouched, a good one saved atomically and
versioned with its author, diffs, masked secrets, the reload notice, and no 500."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.test import Client

from pyros.accounts.profiles import ProfileLevel
from pyros.agents.models import AgentSurvey
from pyros.configpage.models import ConfigVersion
from tests.configpage.conftest import EXAMPLE
from tests.conftest import TEST_NOW, make_user

pytestmark = pytest.mark.django_db
PAGE = "/config/"


def client_for(level: ProfileLevel, name: str | None = None) -> Client:
    client = Client()
    client.force_login(make_user(name or f"user{int(level)}", level))
    return client


def text(response) -> str:
    return html.unescape(response.content.decode()).replace("\xa0", " ")


def plain(response) -> str:
    """The page's text without its tags (a diff marks the characters that changed)."""
    return " ".join(re.sub(r"<[^>]+>", "", text(response)).split())


def digest_of(response) -> str:
    return re.search(r'name="base" value="([0-9a-f]*)"', response.content.decode()).group(1)


def save(client: Client, body: str, comment: str = "", action: str = "save", base=None):
    if base is None:
        base = digest_of(client.get(PAGE))
    return client.post(PAGE, {"text": body, "comment": comment, "base": base,
                              "action": action})


@pytest.fixture
def sysadmin(initial_data, unit_file) -> Client:
    return client_for(ProfileLevel.SYSADMIN, "sysadmin")


@pytest.mark.parametrize("level", list(ProfileLevel))
def test_only_superoperators_and_sysadmins_see_it(initial_data, unit_file, level):
    client = client_for(level)
    allowed = level in (ProfileLevel.SUPEROPERATOR, ProfileLevel.SYSADMIN)
    for url in (PAGE, "/config/versions/"):
        assert client.get(url).status_code == (200 if allowed else 403)
    response = client.post(PAGE, {"text": EXAMPLE, "action": "save"})
    assert response.status_code != 403 if allowed else response.status_code == 403
    home = text(client.get("/"))
    assert (f'href="{PAGE}"' in home) == allowed


def test_anonymous_visitors_are_sent_to_the_login(initial_data, unit_file):
    for url in (PAGE, "/config/versions/", "/config/versions/1/", "/config/diff/1/2/"):
        response = Client().get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_page_shows_every_section_and_masks_secrets(sysadmin, unit_file):
    unit_file.write_text(EXAMPLE.replace('url = ""', 'url = "postgresql://u:s3cr3t@h:5432/d"'))
    page = text(sysadmin.get(PAGE))
    for section in ("site", "mount", "channels", "devices", "computers", "safety",
                    "monitoring", "web", "database", "alerts", "majordome", "analysis",
                    "archive"):
        assert f'data-section="{section}"' in page
    assert "s3cr3t" not in page and "postgresql://u:********@h:5432/d" in page


def test_a_bad_text_is_refused_with_every_key_and_nothing_written(sysadmin, unit_file):
    bad = (EXAMPLE.replace("max_wind_speed = 14.0", "max_wind_speeed = 14.0")
           .replace("width = 2048", "width = -3", 1).replace('kind = "dome"', 'kind = "x"'))
    response = save(sysadmin, bad)
    assert response.status_code == 400
    page = text(response)
    for key in ("safety.max_wind_speeed", "channels[0].width", "devices.dome.kind"):
        assert f'data-key="{key}"' in page
    assert re.search(r'data-key="safety.max_wind_speeed" data-line="\d+"', page)
    assert unit_file.read_text() == EXAMPLE
    assert not ConfigVersion.objects.exists()


@pytest.mark.parametrize("body", [
    "[site\nname = 'x'", "", "\x00\x01\x02binary", "é" * 300_000, "x = 1\n" * 50_000,
    "unit = 1\n[[channels]]\nname = []\n", bytes(range(1, 256)).decode("latin-1"),
])
def test_no_input_is_a_500(sysadmin, unit_file, body):
    for action in ("check", "save"):
        response = save(sysadmin, body, action=action)
        assert response.status_code == 400, body[:20]
    assert unit_file.read_text() == EXAMPLE


def test_absurd_requests_are_not_a_500(sysadmin, unit_file):
    assert sysadmin.post(PAGE, {}).status_code == 400
    assert sysadmin.post(PAGE, {"text": EXAMPLE, "base": "z" * 1000}).status_code == 400
    assert sysadmin.get("/config/versions/999/").status_code == 404
    assert sysadmin.get("/config/diff/1/999/").status_code == 404
    assert sysadmin.get("/config/versions/abc/").status_code == 404


def test_a_valid_text_is_saved_versioned_and_diffed(sysadmin, unit_file):
    new = EXAMPLE.replace("max_wind_speed = 14.0", "max_wind_speed = 12.5")
    checked = save(sysadmin, new.replace("\n", "\r\n"), action="check")
    assert checked.status_code == 200 and "Valid." in text(checked)
    assert unit_file.read_text() == EXAMPLE  # a check writes nothing
    response = save(sysadmin, new.replace("\n", "\r\n"), comment="windier site")
    assert response.status_code == 302
    assert unit_file.read_text() == new
    found, saved = ConfigVersion.objects.order_by("number")
    assert (found.number, found.author, found.text) == (1, None, EXAMPLE)
    assert (saved.number, saved.author.username, saved.comment) == (2, "sysadmin",
                                                                     "windier site")
    assert saved.path == str(unit_file)
    diff = plain(sysadmin.get("/config/diff/1/2/"))
    assert "max_wind_speed = 12.5" in diff and "max_wind_speed = 14.0" in diff
    assert "version 1" in diff and "version 2" in diff
    assert "v2" in text(sysadmin.get("/config/versions/"))
    assert "max_wind_speed = 12.5" in text(sysadmin.get("/config/versions/2/"))


def test_a_stale_editor_does_not_undo_another_save(sysadmin, unit_file):
    base = digest_of(sysadmin.get(PAGE))
    unit_file.write_text(EXAMPLE.replace("port = 8000", "port = 8001"))
    response = save(sysadmin, EXAMPLE.replace("max_wind_speed = 14.0", "max_wind_speed = 12.0"),
                    base=base)
    assert response.status_code == 400 and "changed since" in text(response)


def test_masked_secrets_are_kept_and_never_shown(sysadmin, unit_file):
    secret = EXAMPLE.replace('url = ""', 'url = "postgresql://u:s3cr3t@h:5432/d"') \
        + '\n'
    unit_file.write_text(secret)
    shown = text(sysadmin.get(PAGE))
    edited = re.search(r"<textarea[^>]*>\n?(.*?)</textarea>", shown, re.S).group(1)
    assert "s3cr3t" not in edited
    save(sysadmin, edited.replace("max_wind_speed = 14.0", "max_wind_speed = 13.0"))
    assert "postgresql://u:s3cr3t@h:5432/d" in unit_file.read_text()
    for url in ("/config/versions/1/", "/config/versions/2/", "/config/diff/1/2/"):
        assert "s3cr3t" not in text(sysadmin.get(url))


def test_the_example_is_never_written(initial_data, tmp_path, monkeypatch):
    from pyros import paths
    from tests.configpage.conftest import forget

    monkeypatch.delenv("PYROS_CONFIG", raising=False)
    monkeypatch.setenv("PYROS_HOME", str(tmp_path))
    forget()
    try:
        client = client_for(ProfileLevel.SUPEROPERATOR, "superop")
        assert paths.config_path() == paths.EXAMPLE_CONFIG
        assert "never edited" in text(client.get(PAGE))
        response = save(client, EXAMPLE.replace("port = 8000", "port = 8001"))
        assert response.status_code == 302
        assert paths.EXAMPLE_CONFIG.read_text() == EXAMPLE
        assert (tmp_path / "unit.toml").read_text() == EXAMPLE.replace("port = 8000",
                                                                        "port = 8001")
        page = text(client.get(response["Location"]))
        assert "restart" in page and "unit.toml is new" in page
    finally:
        forget()


def test_the_reload_notice_names_who_must_restart(sysadmin, unit_file):
    AgentSurvey.objects.create(name="ghost", computer="main", pid=1, status="RUNNING",
                               started_at=TEST_NOW - timedelta(days=1),
                               last_beat=TEST_NOW - timedelta(hours=1))
    response = save(sysadmin, EXAMPLE.replace("port = 8000", "port = 8001"))
    page = plain(sysadmin.get(response["Location"]))
    assert "Sections changed: web." in page
    assert "pyros stop && pyros start" in page
    report = ConfigVersion.objects.get(number=2).reload_report
    assert report["restart_needed"] is True
    assert {p["process"]: p["outcome"] for p in report["processes"]}["web"] == "restart"
    assert report["agents"] == [{"agent": "ghost", "computer": "main",
                                 "outcome": "not running",
                                 "detail": "reads the new file when it starts"}]


def test_the_command_line_lists_and_shows_versions(sysadmin, unit_file):
    from click.testing import CliRunner

    from pyros.cli.main import cli

    unit_file.write_text(EXAMPLE.replace('url = ""', 'url = "postgresql://u:s3cr3t@h:5432/d"'))
    save(sysadmin, text(sysadmin.get(PAGE)).split("<textarea", 1)[1].split(">", 1)[1]
         .split("</textarea>")[0].lstrip("\n").replace("port = 8000", "port = 8001"),
         comment="cli")
    history = CliRunner().invoke(cli, ["config", "history"])
    assert history.exit_code == 0 and "v2" in history.output and "sysadmin" in history.output
    shown = CliRunner().invoke(cli, ["config", "show", "2"])
    assert shown.exit_code == 0 and "port = 8001" in shown.output
    assert "s3cr3t" not in shown.output
    assert CliRunner().invoke(cli, ["config", "show", "9"]).exit_code != 0
