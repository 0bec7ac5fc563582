"""The Schedule pages in a real browser: a visitor, not logged in, reads tonight's plan
(the timeline and both tables) and sees it follow the sequences' statuses without
reloading; an observer uploads a simulation file, follows its job's progress on the
page, and sees its plan drawn the same way when the job runner has planned it."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from pyros.jobs.runner import run_queued
from pyros.observations.lifecycle import SequenceStatus
from pyros.observations.models import Sequence
from tests.browser.conftest import artifacts, browser, page  # noqa: F401
from tests.conftest import OBSERVER_PASSWORD
from tests.scheduling.test_api import AFTERNOON, MIDNIGHT, a_planned_night, simulation_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_reads_tonights_plan_as_it_goes(
        page: Page, observer, simulated_clock, artifacts):  # noqa: F811
    simulated_clock.set(AFTERNOON)
    a_planned_night(observer)
    simulated_clock.set(MIDNIGHT)
    page.clock.install()  # the page's 30-second refresh, fast-forwarded below
    page.goto("/schedule/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tonight's plan")
    chart = page.locator("#timeline svg.night-svg")
    expect(chart).to_be_visible()
    expect(chart.locator("path.block")).to_have_count(3)
    expect(chart.locator("path.curve")).to_have_count(3)
    expect(chart.locator("rect.band-night")).to_have_count(1)
    expect(page.locator("#now-line")).to_be_visible()
    expect(page.locator("#moon-key")).to_contain_text("% illuminated")
    entries = page.locator("#entries tbody tr")
    expect(entries).to_have_count(3)
    expect(page.locator("#entries")).to_be_visible()
    expect(page.locator("#unplanned tbody tr")).to_have_count(1)
    expect(page.locator("#unplanned")).to_contain_text("never observable")
    page.screenshot(path=str(artifacts / "schedule-tonight.png"), full_page=True)
    page.evaluate("window.notReloaded = true")

    m74 = Sequence.objects.get(target_name="M74")
    Sequence.objects.filter(pk=m74.pk).update(status=SequenceStatus.FAILED)
    page.clock.fast_forward("00:31")
    row = page.locator(f'#entries tr[data-sequence="{m74.pk}"]')
    expect(row.locator(".status")).to_have_text("FAILED")
    expect(chart.locator("rect.bar.track-FAILED")).to_have_count(1)
    assert page.evaluate("window.notReloaded") is True
    expect(page.locator("#live-state")).not_to_have_class("live-dot live-bad")


def test_an_observer_plans_an_uploaded_simulation(
        page: Page, observer, tmp_path, artifacts):  # noqa: F811
    night = tmp_path / "night.json"
    night.write_text(json.dumps(simulation_file()))
    page.goto("/login/?next=/schedule/simulate/")
    page.fill("#id_username", observer.username)
    page.fill("#id_password", OBSERVER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Simulate a night")
    expect(page.locator("#planning")).to_be_hidden()
    page.set_input_files("#id_file", str(night))
    page.select_option("#id_engine", "optimal")
    page.fill("#id_time_limit", "2")
    # The indicator shows as the form leaves; the next page tells what the last one saw.
    page.evaluate("""document.getElementById("simulate-form").addEventListener("submit",
        () => sessionStorage.setItem("planningShown",
            String(!document.getElementById("planning").hidden)))""")
    page.get_by_role("button", name="Plan").click()
    # The job's page, following the job: queued, as long as no runner took it.
    expect(page.locator("#job-progress")).to_be_visible()
    expect(page.locator("#job-state")).to_have_text("queued")
    assert page.evaluate('sessionStorage.getItem("planningShown")') == "true"
    assert run_queued() == 1  # as the job runner would; the page reloads when it ends
    plan = page.locator("#plan")
    expect(plan.locator("svg.night-svg")).to_be_visible()
    expect(page.locator("#job-progress")).to_have_count(0)
    expect(plan).to_contain_text("Simulation of the night of 2026-11-21")
    expect(plan.locator("path.block")).to_have_count(2)
    expect(page.locator("#entries tbody tr")).to_have_count(2)
    expect(page.locator('#unplanned tr[data-sequence="pole"]')).to_contain_text(
        "never observable")
    page.screenshot(path=str(artifacts / "schedule-simulation.png"), full_page=True)

    page.get_by_role("link", name="New simulation").click()
    page.fill("#id_text", '{"night": "2026-11-21", "sequences": [{"id": "x"}]}')
    page.get_by_role("button", name="Plan").click()
    expect(page.locator("#simulate-errors")).to_contain_text("invalid simulation file")
    expect(page.locator("#plan")).to_have_count(0)


def test_the_plans_history_is_a_table_and_the_weather_plots_a_grid(
        page: Page, observer, simulated_clock):  # noqa: F811
    """A style for the Weather page's plots (a grid named "history") once made the Plans
    page's table of the same class a grid: its rows became cells side by side."""
    simulated_clock.set(AFTERNOON)
    a_planned_night(observer)
    page.goto("/schedule/history/")
    table = page.locator("#history")
    expect(table.locator("tbody tr")).to_have_count(1)
    assert table.evaluate("t => getComputedStyle(t).display") == "table"
    row = table.locator("tbody tr").first
    assert row.evaluate("r => getComputedStyle(r).display") == "table-row"
    page.goto("/weather/")
    plots = page.locator(".weather-history")
    assert plots.evaluate("d => getComputedStyle(d).display") == "grid"
