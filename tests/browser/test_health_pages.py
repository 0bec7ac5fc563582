"""A member of the staff looks at the Calibration & Health page in a real browser: the
trends of 30 days, then of 365 at a click (health.js: no inline script, the CSP holds),
the warnings, the subscription, and a night's report."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from pyros.accounts.profiles import ProfileLevel
from pyros.health.morning import build_report
from pyros.health.summarise import summarise_night
from tests.conftest import OBSERVER_PASSWORD, make_user
from tests.health.conftest import MORNING, NIGHT, make_night, with_thresholds

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



def test_trends_warnings_subscription_and_report(page: Page, initial_data, simulated_clock,
                                                 artifacts, monkeypatch):
    make_night()
    simulated_clock.set(MORNING)
    monkeypatch.setattr(settings, "UNIT", with_thresholds(fwhm={"max": 1.5}))
    summarise_night(NIGHT, settings.UNIT)
    build_report(NIGHT, settings.UNIT)
    user = make_user("ines", ProfileLevel.IE_IS)
    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto("/login/?next=/health/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", OBSERVER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Calibration & Health")

    expect(page.locator("#health-warnings")).to_contain_text(
        "FWHM (VIS) on 2026-11-21: 1.7 ″, above the maximum 1.5")
    expect(page.locator("#span-switch")).to_be_visible()  # the script ran
    expect(page.locator("#span-30")).to_be_visible()
    expect(page.locator("#span-365")).to_be_hidden()
    expect(page.locator('#span-30 [data-metric="fwhm"] svg')).to_have_count(1)
    expect(page.locator("#span-30 svg.trend-fwhm .plot-limit")).to_have_count(1)  # 1.5
    page.get_by_role("button", name="365 days").click()
    expect(page.locator("#span-365")).to_be_visible()
    expect(page.locator("#span-30")).to_be_hidden()
    expect(page.locator("#span-365 svg.relation-dark .plot-point")).to_have_count(1)
    page.screenshot(path=str(artifacts / "health-page.png"), full_page=True)

    page.get_by_role("button", name="Mail me the morning report").click()
    expect(page.locator("#subscription")).to_contain_text("You receive the morning report")

    page.get_by_role("link", name="2026-11-21").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Night report 2026-11-21")
    expect(page.locator("#report-images")).to_contain_text("LIGHT")
    expect(page.locator("#state-timeline svg rect")).to_have_count(4)
    page.screenshot(path=str(artifacts / "health-report.png"), full_page=True)
    assert refused == []
