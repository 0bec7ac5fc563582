"""The System page through Django's test client: who sees it, the agents as rendered
before any JavaScript runs, and the command form only for those who may send."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from pyros.accounts.profiles import ProfileLevel
from pyros.agents.models import AgentSurvey
from pyros.agents.states import GENERIC_COMMANDS
from pyros.agents.views import format_duration
from tests.conftest import TEST_NOW, make_user

pytestmark = pytest.mark.django_db

SYSTEM = "/system/"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    return html.unescape(response.content.decode())


def agent_rows(response) -> dict[str, str]:
    """Each agent row of the table ("name@computer" -> the row's text, tags removed)."""
    page = response.content.decode()
    rows = re.findall(r'<tr data-agent="([^"]+)">(.*?)</tr>', page, flags=re.S)
    return {html.unescape(key): " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())
            for key, body in rows}


@pytest.fixture
def agents() -> list[AgentSurvey]:
    """One agent alive for 2 h 5 min, one whose beat is a minute old: dead."""
    return [
        AgentSurvey.objects.create(
            name="agentA", computer="tcs", pid=4242, status="RUNNING", iteration=7,
            started_at=TEST_NOW - timedelta(hours=2, minutes=5), last_beat=TEST_NOW,
            restarts=1, current_command=12),
        AgentSurvey.objects.create(
            name="agentB", computer="guitalens", pid=99, mode="IDLE", status="WAITING <dome>",
            started_at=TEST_NOW - timedelta(days=1), last_beat=TEST_NOW - timedelta(minutes=1)),
    ]


def test_page_needs_a_login(initial_data):
    response = Client().get(SYSTEM)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={SYSTEM}"


@pytest.mark.parametrize("level", [ProfileLevel.VISITOR, ProfileLevel.TAC,
                                   ProfileLevel.OBSERVER])
def test_profiles_without_the_system_right_get_403(initial_data, level):
    assert client_for(make_user("someone", level)).get(SYSTEM).status_code == 403


def test_operator_sees_the_agents_with_their_state(initial_data, agents):
    response = client_for(make_user("olga", ProfileLevel.OPERATOR)).get(SYSTEM)
    assert response.status_code == 200
    rows = agent_rows(response)
    assert list(rows) == ["agentA@tcs", "agentB@guitalens"]
    assert rows["agentA@tcs"] == ("agentA tcs 4242 ACTIVE RUNNING · command #12 7 alive "
                                  "2 h 5 min 1 2026-11-21 12:00:00 (0 s ago)")
    assert rows["agentB@guitalens"] == ("agentB guitalens 99 IDLE WAITING <dome> 0 dead "
                                        "\N{EN DASH} 0 2026-11-21 11:59:00 (1 min 0 s ago)")
    assert "WAITING &lt;dome&gt;" in response.content.decode()  # escaped, not markup
    page = text(response)
    assert "2026-11-21 12:00:00" in page  # the server's (simulated) time
    assert 'data-agents-url="/api/agents/"' in page
    assert 'data-logs-url="/api/agents/logs/"' in page
    assert "agents/system.js" in page
    # the log filter offers each agent
    assert re.search(r'<select id="log-agent".*?agentA.*?agentB.*?</select>', page, re.S)


def test_no_agent_yet(initial_data):
    response = client_for(make_user("olga", ProfileLevel.OPERATOR)).get(SYSTEM)
    assert "No agent has started yet." in text(response)
    assert agent_rows(response) == {}


@pytest.mark.parametrize(("level", "may_send"), [
    (ProfileLevel.IE_IS, True),
    (ProfileLevel.OPERATOR, True),
    (ProfileLevel.SUPEROPERATOR, True),
    (ProfileLevel.PI, False),
    (ProfileLevel.SYSADMIN, True),
])
def test_command_form_only_for_those_who_may_send(initial_data, agents, level, may_send):
    response = client_for(make_user("someone", level)).get(SYSTEM)
    assert response.status_code == 200
    page = text(response)
    assert ('id="command-form"' in page) is may_send
    assert ("Send a command" in page) is may_send
    if may_send:
        offered = re.findall(r'<option value="([^"]+)">',
                             re.search(r'<select id="command-name".*?</select>', page,
                                       re.S).group(0))
        assert offered == sorted(GENERIC_COMMANDS)


def test_home_tile_leads_to_the_page(initial_data):
    response = client_for(make_user("olga", ProfileLevel.OPERATOR)).get(reverse("home"))
    assert f'<a class="tile" href="{SYSTEM}"><h2>System</h2>' in response.content.decode()


@pytest.mark.parametrize(("seconds", "shown"), [
    (None, "\N{EN DASH}"), (0, "0 s"), (59.9, "59 s"), (61, "1 min 1 s"),
    (3600, "1 h 0 min"), (90061, "1 d 1 h"), (-3, "0 s"),
])
def test_durations_read_shortly(seconds, shown):
    assert format_duration(seconds) == shown
