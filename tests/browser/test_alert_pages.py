"""The Alerts pages in a real browser: a visitor, not logged in, reads the list of
events with its sky map (error circles, tonight's sky) and sees a new packet arrive
without reloading, then opens an event (its positions, decisions and latencies) and one
of its packets as received; a PI checks a new version of the strategy, sees what it
changes, and saves it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from pyros.accounts.profiles import ProfileLevel
from pyros.alerts.models import AlertEvent, Strategy
from pyros.alerts.store import active_strategy, ingest
from pyros.config.loader import active_config
from tests.alerts.test_intake import BAT, XRT, at, packet  # noqa: F401
from tests.browser.conftest import artifacts, browser, page  # noqa: F401
from tests.conftest import OBSERVER_PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GBM = "fermi_gbm_gnd_pos_538809001.xml"
TEST = "swift_bat_grb_pos_test.xml"
LVK = "lvk_s230528ay_preliminary.xml"


def receive(at, name: str, delay: float = 120):  # noqa: F811
    at(name, delay)
    return ingest(packet(name), source="test", unit=active_config())


def test_a_visitor_follows_the_alerts_on_the_sky(page: Page, at, artifacts):  # noqa: F811
    for name in (GBM, TEST, LVK):
        receive(at, name)
    ingest(b"<html><script>alert(1)</script></html>", source="test", unit=active_config())
    receive(at, BAT)
    page.clock.install()  # the page's refresh, fast-forwarded below
    page.goto("/alerts/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Alerts")
    sky = page.locator("#sky-map svg.sky-svg")
    expect(sky).to_be_visible()
    expect(sky.locator("path.error-circle")).to_have_count(1)  # GBM's 6°
    expect(sky.locator("circle.error-point")).to_have_count(2)  # BAT's 3′, the test's
    expect(sky.locator("path.error-circle.ev-rejected")).to_have_count(1)
    expect(sky.locator("circle.error-point.ev-observed")).to_have_count(1)
    expect(sky.locator("circle.error-point.ev-test")).to_have_count(1)
    expect(sky.locator("path.night-region")).to_have_count(1)
    expect(page.locator("#night-caption")).to_contain_text("above airmass 2")
    rows = page.locator("#events tbody tr")
    expect(rows).to_have_count(4)
    expect(page.locator("#unplaced")).to_contain_text("1 event of this page has no position")
    expect(page.locator("#refused-line")).to_contain_text("1 packet refused")
    page.screenshot(path=str(artifacts / "alerts-list.png"), full_page=True)
    page.evaluate("window.notReloaded = true")

    receive(at, XRT, 600)
    page.clock.fast_forward("00:16")
    swift = AlertEvent.objects.get(key="Swift:655721")
    row = page.locator(f'#events tr[data-event="{swift.pk}"]')
    expect(row.locator("td.count")).to_have_text("2")
    expect(row.locator("td.requests .status")).to_have_count(2)
    assert page.evaluate("window.notReloaded") is True
    expect(page.locator("#live-state")).not_to_have_class("live-dot live-bad")

    row.get_by_role("link", name="Swift:655721").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Swift:655721")
    expect(page.locator("#positions tbody tr")).to_have_count(2)
    expect(page.locator("#positions tr.used")).to_contain_text("SWIFT_XRT_POSITION")
    expect(page.locator("#event-requests li")).to_have_count(2)
    expect(page.locator("section.packet")).to_have_count(2)
    first = page.locator("section.packet").first
    expect(first.locator("table.latency tbody tr")).to_have_count(3)  # parsed, decided, request
    expect(first.locator("table.alert-log")).to_contain_text("REQUEST")
    page.screenshot(path=str(artifacts / "alerts-detail.png"), full_page=True)
    first.get_by_role("link", name="Raw packet").click()
    raw = page.locator("#raw-packet")
    expect(raw).to_be_visible()
    text = raw.text_content()
    assert text.startswith("<?xml version=") and "<C1>319.7309</C1>" in text

    page.goto("/alerts/refused/")
    expect(page.locator("#refused-packets tbody tr")).to_have_count(1)
    page.locator("#refused-packets summary").click()
    expect(page.locator("#refused-packets pre")).to_contain_text("<script>alert(1)</script>")


def test_a_pi_saves_a_new_version_of_the_strategy(page: Page, initial_data, artifacts):  # noqa: F811
    pi = make_user("paula", ProfileLevel.PI)
    active_strategy()
    page.goto("/login/?next=/alerts/strategy/")
    page.fill("#id_username", pi.username)
    page.fill("#id_password", OBSERVER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Alert strategy")
    expect(page.locator("#active-strategy h2")).to_have_text("Active: version 1")

    text = page.locator("#id_text")
    original = text.input_value()
    text.fill(original.replace("priority = 9", "priority = 11", 1))
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#strategy-errors")).to_contain_text("rules[0].priority")
    expect(page.locator("#save-strategy")).to_have_count(0)

    page.locator("#id_text").fill(original.replace("priority = 9", "priority = 10", 1))
    page.fill("#id_comment", "Swift BAT first")
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#check-result")).to_contain_text("Saving makes it version 2")
    expect(page.locator("#check-diff")).to_contain_text("+priority = 10")
    page.screenshot(path=str(artifacts / "alerts-strategy-check.png"), full_page=True)
    page.get_by_role("button", name="Save as version 2").click()
    expect(page.locator(".messages")).to_contain_text("Version 2 saved")
    expect(page.locator("#active-strategy h2")).to_have_text("Active: version 2")
    expect(page.locator("#versions tbody tr")).to_have_count(2)
    saved = Strategy.objects.get(is_active=True)
    assert (saved.version, saved.created_by, saved.comment) == (2, pi, "Swift BAT first")
    assert "priority = 10" in saved.text
