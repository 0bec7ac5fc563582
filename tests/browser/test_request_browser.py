"""An observer builds a request in a real browser, step by step, and submits it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from pyros.observations.lifecycle import RequestStatus, SequenceStatus
from pyros.observations.models import Request
from tests.conftest import OBSERVER_PASSWORD, TEST_NOW

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def save(page: Page, button: str = "Save") -> None:
    page.get_by_role("button", name=button, exact=True).click()


def test_observer_builds_and_submits_a_request(page: Page, observer, artifacts):
    page.goto("/login/?next=/requests/")
    page.fill("#id_username", observer.username)
    page.fill("#id_password", OBSERVER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".who")).to_contain_text("alice")
    expect(page.get_by_role("heading", level=1)).to_have_text("Observation requests")

    page.get_by_role("link", name="New request").click()
    page.fill("#id_name", "Browser-built")
    page.select_option("#id_program", label="GRB")
    page.fill("#id_target_type", "grb")
    save(page, "Create and add a sequence")

    expect(page).to_have_url(re.compile(r"/requests/\d+/sequences/new/$"))
    expect(page.locator(".messages")).to_contain_text("created as a draft")
    page.fill("#id_name", "first look")
    page.fill("#id_target", "GRB 261121A")
    # Sexagesimal, as observers write them: 10h01m = 150.25°; the altitude through
    # tonight is drawn as they type.
    page.fill("#id_ra", "10:01:00")
    page.fill("#id_dec", "-20 30 00")
    expect(page.locator("#altitude svg.altitude-svg path.curve")).to_have_count(1)
    expect(page.locator("#altitude-note")).to_contain_text("UTC")
    page.fill("#id_ra", "25:00:00")
    expect(page.locator("#altitude-note")).to_contain_text("below 24")
    page.fill("#id_ra", "10:01:00")
    expect(page.locator("#altitude svg.altitude-svg path.curve")).to_have_count(1)
    assert page.locator("#id_start").get_attribute("type") == "text"  # 24 h, not AM/PM
    page.fill("#id_start", "2026-11-22 00:00")
    page.fill("#id_end", "2026-11-21T18:00")  # before the start: the server says so
    page.fill("#id_duration", "600")
    page.fill("#id_priority", "8")
    page.select_option("#id_obs_type", "IMMEDIATE")
    save(page)
    expect(page.locator(".form-errors")).to_contain_text(
        "the window ends (2026-11-21 18:00:00) before it starts")
    expect(page.locator("#id_ra")).to_have_value("10:01:00")  # what was typed is kept
    page.screenshot(path=str(artifacts / "request-sequence-form.png"), full_page=True)
    page.fill("#id_end", "2026-11-23T00:00")
    save(page)

    expect(page).to_have_url(re.compile(r"/albums/new/$"))
    page.fill("#id_name", "vis")
    page.select_option("#id_detector", "Visible camera")
    save(page)

    expect(page).to_have_url(re.compile(r"/plans/new/$"))
    expect(page.locator("#id_filter option")).to_have_count(6)  # the VIS channel's filters
    page.fill("#id_name", "r band")
    page.select_option("#id_filter", "r")
    page.fill("#id_exposure", "30")
    page.fill("#id_nb_images", "10")
    save(page)

    expect(page.locator("h1 .status")).to_have_text("DRAFT")
    stored = Request.objects.get(name="Browser-built").sequences.get()
    assert (stored.ra, stored.dec) == (150.25, -20.5)
    expect(page.locator("table.plans")).to_contain_text("r band")
    page.screenshot(path=str(artifacts / "request-draft.png"), full_page=True)
    page.get_by_role("link", name="Submit…").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Submit request #")
    save(page, "Submit")

    expect(page.locator("h1 .status")).to_have_text("SUBMITTED")
    expect(page.locator(".messages")).to_contain_text("submitted")
    expect(page.locator(".sequence .status")).to_have_text("TOBEPLANNED")
    expect(page.get_by_role("link", name="Submit…")).to_have_count(0)
    page.screenshot(path=str(artifacts / "request-submitted.png"), full_page=True)
    page.get_by_role("navigation").get_by_role("link", name="Requests").first.click()
    expect(page.locator("table.requests tbody tr")).to_have_count(1)
    expect(page.locator("table.requests")).to_contain_text("Browser-built")
    page.screenshot(path=str(artifacts / "request-list.png"), full_page=True)

    req = Request.objects.get(name="Browser-built")
    assert (req.owner, req.program.name, req.status) == (observer, "GRB", RequestStatus.SUBMITTED)
    assert req.submitted_at == TEST_NOW
    sequence = req.sequences.get()
    assert (sequence.name, sequence.target_name, sequence.ra, sequence.dec) == (
        "first look", "GRB 261121A", 150.25, -20.5)
    assert (sequence.obs_type, sequence.status) == ("IMMEDIATE", SequenceStatus.TOBEPLANNED)
    album = sequence.albums.get()
    assert (album.name, album.detector) == ("vis", "Visible camera")
    plan = album.plans.get()
    assert (plan.name, plan.filter, plan.exposure, plan.nb_images) == ("r band", "r", 30.0, 10)
