"""The Observatory control page in a real browser: an Operator, on a clear night with
the telescope ready, sees LOCK, confirms the dialog and sees the observatory locked
without reloading; an IE/IS engineer sees GO REMOTE but neither LOCK nor BYPASS, whose
right is the Operator's alone. And a visitor follows the majordome's state on the
Observatory page as it changes."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from pyros.accounts.profiles import ProfileLevel
from pyros.agents.models import Command
from pyros.majordome.models import NightLogEntry, ObservatoryControl
from pyros.majordome.states import State
from tests.browser.conftest import artifacts, browser, page  # noqa: F401
from tests.conftest import OBSERVER_PASSWORD, TEST_NOW, make_user
from tests.majordome.test_control_pages import set_majordome, set_situation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, username: str) -> None:  # noqa: F811
    page.goto("/login/?next=/observatory/control/")
    page.fill("#id_username", username)
    page.fill("#id_password", OBSERVER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Observatory control")


def test_an_operator_locks_the_observatory(page: Page, initial_data, artifacts):  # noqa: F811
    operator = make_user("olga", ProfileLevel.OPERATOR)
    set_situation(State.SCHEDULER_READY)
    log_in(page, operator.username)
    expect(page.locator("#majordome-badge")).to_have_text("SCHEDULER_READY")
    expect(page.locator("#switch-locked")).to_contain_text("not locked")
    lock = page.get_by_role("button", name="LOCK OBSERVATORY", exact=True)
    expect(lock).to_be_visible()
    expect(page.get_by_role("button", name="PLC BYPASS (set to SAFE)", exact=True)).to_have_count(0)
    expect(page.locator('#unavailable li[data-action="bypass"]')).to_contain_text(
        "only offered when the PLC says UNSAFE")
    page.evaluate("window.notReloaded = true")

    questions: list[str] = []

    def answer(dialog) -> None:
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", answer)
    lock.click()
    expect(page.locator("#control-result")).to_have_text("LOCK OBSERVATORY: done")
    expect(page.locator("#switch-locked")).to_contain_text("LOCKED")
    expect(page.locator("#switch-locked")).to_contain_text("by web:olga")
    expect(page.get_by_role("button", name="LOCK OBSERVATORY", exact=True)).to_have_count(0)
    assert questions == ["Close and park, and stay closed until unlocked?"]
    assert page.evaluate("window.notReloaded") is True
    page.screenshot(path=str(artifacts / "observatory-control-locked.png"), full_page=True)

    control = ObservatoryControl.current()
    assert (control.locked, control.locked_by) == (True, "web:olga")
    assert NightLogEntry.objects.get().message == "LOCK OBSERVATORY by web:olga"
    assert Command.objects.get(recipient="majordome").name == "control_changed"


def test_a_dismissed_dialog_sends_nothing(page: Page, initial_data):  # noqa: F811
    operator = make_user("olga", ProfileLevel.OPERATOR)
    set_situation(State.SCHEDULER_READY)
    log_in(page, operator.username)
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="LOCK OBSERVATORY", exact=True).click()
    expect(page.get_by_role("button", name="LOCK OBSERVATORY", exact=True)).to_be_enabled()
    expect(page.locator("#control-result")).to_be_empty()
    assert not ObservatoryControl.current().locked
    assert not Command.objects.exists()


def test_an_engineer_may_go_remote_but_not_lock_or_bypass(page: Page, initial_data):  # noqa: F811
    engineer = make_user("ingrid", ProfileLevel.IE_IS)
    set_situation(State.SCHEDULER_READY)
    log_in(page, engineer.username)
    expect(page.get_by_role("button", name="GO REMOTE", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="STOP", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="LOCK OBSERVATORY", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="PLC BYPASS (set to SAFE)", exact=True)).to_have_count(0)
    expect(page.locator("#actions")).not_to_contain_text("LOCK")
    expect(page.locator("#actions")).not_to_contain_text("BYPASS")


def test_a_visitor_follows_the_majordome_on_the_observatory_page(
        page: Page, initial_data, artifacts):  # noqa: F811
    set_situation(State.SCHEDULER_READY)
    page.clock.install()  # the part's refresh, fast-forwarded below
    page.goto("/observatory/")
    card = page.locator("#majordome-state")
    expect(page.locator("#majordome-badge")).to_have_text("SCHEDULER_READY")
    expect(card.locator("#why-not")).to_have_text("no sequence of the plan is due now")
    expect(page.locator("#majordome-not-running")).to_have_count(0)
    page.evaluate("window.notReloaded = true")

    set_majordome(State.OBSERVING, cause="executing a sequence", why_not=[],
                  work="sequence first look")
    NightLogEntry.objects.create(time=TEST_NOW, night="2026-11-20", kind="STATE",
                                 message="OBSERVING: executing a sequence")
    page.clock.fast_forward("00:06")
    expect(page.locator("#majordome-badge")).to_have_text("OBSERVING")
    expect(page.locator("#majordome-work")).to_have_text("sequence first look")
    expect(card.locator("#why-not")).to_have_text("We are observing.")
    expect(page.locator("#recent-log tbody tr").first).to_contain_text(
        "OBSERVING: executing a sequence")
    assert page.evaluate("window.notReloaded") is True
    expect(page.get_by_role("link", name="Control")).to_have_count(0)  # a visitor's page
    page.screenshot(path=str(artifacts / "observatory-majordome.png"), full_page=True)
