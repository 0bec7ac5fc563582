"""An operator watches the System page in a real browser: the agents table and the log
panel follow the database without reloading, and a command sent from the form is
followed until the agent ends it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from pyros.accounts.profiles import ProfileLevel
from pyros.agents.models import AgentLog, AgentSurvey, Command
from pyros.agents.states import CommandState
from tests.conftest import OBSERVER_PASSWORD, TEST_NOW, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIVE = 20_000  # ms: the page polls every second; a busy machine is slow to answer


@pytest.fixture
def operator(initial_data):
    return make_user("olga", ProfileLevel.OPERATOR)


@pytest.fixture
def agent() -> AgentSurvey:
    AgentLog.objects.create(agent="agentA", computer="tcs", level=20,
                            message="started (pid 4242 on tcs)", created_at=TEST_NOW)
    return AgentSurvey.objects.create(
        name="agentA", computer="tcs", pid=4242, status="RUNNING", iteration=3,
        started_at=TEST_NOW - timedelta(minutes=10), last_beat=TEST_NOW)


def open_system_page(page: Page, user) -> None:
    page.goto("/login/?next=/system/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", OBSERVER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("System")


def test_agents_and_logs_follow_the_database(page: Page, operator, agent, artifacts):
    open_system_page(page, operator)
    row = page.locator('tr[data-agent="agentA@tcs"]')
    expect(row).to_contain_text("RUNNING")
    expect(row.locator(".badge")).to_have_text("alive")
    expect(page.locator("#logs tbody")).to_contain_text("started (pid 4242 on tcs)")
    page.evaluate("window.notReloaded = true")

    AgentSurvey.objects.filter(pk=agent.pk).update(status="EXPOSING M31", iteration=4)
    AgentLog.objects.create(agent="agentA", computer="tcs", level=30,
                            message="dome slit at 80 %", created_at=TEST_NOW)
    expect(row.locator(".agent-status")).to_have_text("EXPOSING M31", timeout=LIVE)
    expect(page.locator("#logs tbody tr").last).to_contain_text("dome slit at 80 %",
                                                                timeout=LIVE)
    expect(page.locator("#logs tbody tr")).to_have_count(2)  # appended, not reloaded
    assert page.evaluate("window.notReloaded") is True
    page.screenshot(path=str(artifacts / "system-live.png"), full_page=True)

    # A beat older than its validity: the agent shows dead, without its uptime.
    AgentSurvey.objects.filter(pk=agent.pk).update(last_beat=TEST_NOW - timedelta(seconds=30))
    expect(row.locator(".badge")).to_have_text("dead", timeout=LIVE)

    # Filters are applied by the server: WARNING and above leaves the one warning.
    page.select_option("#log-level", label="WARNING")
    expect(page.locator("#logs tbody tr")).to_have_count(1, timeout=LIVE)
    expect(page.locator("#logs tbody")).to_contain_text("dome slit at 80 %")
    AgentLog.objects.create(agent="agentA", computer="tcs", level=20, message="just info",
                            created_at=TEST_NOW)
    AgentLog.objects.create(agent="agentA", computer="tcs", level=40, message="mount stalled",
                            created_at=TEST_NOW)
    expect(page.locator("#logs tbody tr").last).to_contain_text("mount stalled", timeout=LIVE)
    expect(page.locator("#logs tbody")).not_to_contain_text("just info")


def test_a_command_sent_from_the_form_is_followed_to_its_end(page: Page, operator, agent,
                                                             artifacts):
    open_system_page(page, operator)
    page.select_option("#command-agent", "agentA")
    page.select_option("#command-name", "calc")
    page.fill("#command-args", "expression=6 * 7")
    page.get_by_role("button", name="Send").click()

    # Nobody runs agentA here: after its wait the API answers PENDING, the page polls on.
    result = page.locator("#command-result")
    expect(result).to_contain_text("PENDING", timeout=LIVE)
    command = Command.objects.get()
    assert (command.sender, command.recipient, command.name, command.args) == (
        "web:olga", "agentA", "calc", {"expression": "6 * 7"})

    # The agent's part, as it writes it: the command ends with its result.
    Command.objects.filter(pk=command.pk).update(state=CommandState.EXECUTED, result=42,
                                                 ended_at=TEST_NOW)
    expect(result.locator(".status")).to_have_text("EXECUTED", timeout=LIVE)
    expect(result.locator("pre")).to_have_text("42")
    page.screenshot(path=str(artifacts / "system-command.png"), full_page=True)

    page.fill("#command-args", "{not json")
    page.get_by_role("button", name="Send").click()
    expect(result).to_contain_text("Arguments:")
    assert Command.objects.count() == 1
