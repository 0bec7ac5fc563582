"""The Schedule pages: tonight's plan drawn on the server (the night's twilights, each
target's altitude with its block, the Moon, the now line) with its tables, readable by
every profile without JavaScript; the history; one plan; and the simulation form, which
plans a file without storing anything and needs a login to do it."""

from __future__ import annotations

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from pyros.accounts.profiles import ProfileLevel
from pyros.jobs.runner import run_queued
from pyros.scheduling.models import Schedule, Trigger
from tests.conftest import OBSERVER_PASSWORD, make_user
from tests.scheduling.test_api import (
    AFTERNOON,
    MIDNIGHT,
    a_planned_night,
    plan_tonight,
    sequence,
    simulation_file,
    submit,
)

pytestmark = pytest.mark.django_db


def page(url: str, client: Client | None = None, status: int = 200) -> str:
    response = (client or Client()).get(url)
    assert response.status_code == status, response.content[:500]
    return response.content.decode()


def logged_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=OBSERVER_PASSWORD)
    return client


@pytest.fixture
def night(simulated_clock):
    """The plan is made in the afternoon; the pages are read in the middle of the night."""
    simulated_clock.set(AFTERNOON)
    yield simulated_clock


def test_tonights_plan_is_drawn_with_its_tables(observer, night):
    schedule = a_planned_night(observer)
    night.set(MIDNIGHT)
    html = page("/schedule/")
    assert "<h1>Tonight&#x27;s plan</h1>" in html
    assert f"<strong>Plan #{schedule.pk}</strong> of the night of 2026-11-21" in html
    assert '<span id="plan-made">2026-11-22 00:00:00</span> UTC' in html
    assert '<span class="trigger">Operator</span>: <span class="detail">test</span>' in html
    assert re.search(r'<dd id="plan-quality">\d+(\.\d)? %', html)
    # The timeline: twilights from sunset (00:41, drawn from 00:30) to sunrise (14:15).
    assert '<svg viewBox="0 0 960.0 306.0" class="night-svg"' in html
    kinds = re.findall(r'<rect class="band band-(\w+)"', html)
    assert kinds == ["day", "civil", "nautical", "astronomical", "night", "astronomical",
                     "nautical", "civil", "day"]
    assert "<title>night 02:05–12:50 UTC</title>" in html
    # Each planned target: its altitude all night, thick where it is planned, coloured
    # by its sequence's status, and its block in the row under the plot.
    for status in ("EXECUTED", "EXECUTING", "PLANNED"):
        assert html.count(f'<path class="curve track-{status}"') == 1
        assert html.count(f'<path class="block track-{status}"') == 1
        assert html.count(f'<rect class="bar track-{status}"') == 1
    assert '<path class="moon"' in html
    assert re.search(r'Moon, 9\d % illuminated', html)
    # 07:00 on a 14-hour axis from 00:30, 908 units wide from x=40.
    assert ('<g id="now-line" class="now"><line x1="461.6" x2="461.6"' in html)
    assert "now 07:00" in html
    # The tables: the entries in time order with their statuses, the reason of the rest.
    names = re.findall(r'<tr data-sequence="\d+" class="entry-\w+">\s*<td>\d</td>\s*'
                       r'<td class="when">[\d:–]+</td>\s*<td>(M\d\d)', html)
    assert sorted(names) == ["M31", "M33", "M74"] and len(names) == 3
    assert '<span class="status status-EXECUTING">EXECUTING</span>' in html
    assert '<span class="status status-EXECUTED">EXECUTED</span>' in html
    assert re.search(r'<td class="reason">never observable[^<]*</td>', html)
    assert 'data-refresh-url="/schedule/part/" data-period="30"' in html
    assert "/static/scheduling/scheduling.js" in html
    assert "/static/scheduling/scheduling.css" in html


def test_every_profile_reads_the_pages(observer, night):
    a_planned_night(observer)
    night.set(MIDNIGHT)
    visitor = logged_in(make_user("victor", ProfileLevel.VISITOR))
    for client in (Client(), visitor, logged_in(observer)):
        for url in ("/schedule/", "/schedule/part/", "/schedule/history/",
                    "/schedule/simulate/"):
            page(url, client)
    # Only who may read requests gets links to them.
    request_link = re.compile(r'<a href="/requests/\d+/">tonight</a>')
    assert request_link.search(page("/schedule/", logged_in(observer)))
    assert not request_link.search(page("/schedule/", visitor))
    home = page("/", Client())
    assert '<a class="tile" href="/schedule/"><h2>Schedule</h2>' in home


def test_the_part_is_the_plan_alone_for_the_refreshes(observer, night):
    a_planned_night(observer)
    night.set(MIDNIGHT)
    part = page("/schedule/part/")
    assert "<html" not in part and "<h1>" not in part
    assert 'class="night-svg"' in part and 'id="now-line"' in part
    assert 'id="entries"' in part and 'id="unplanned"' in part


def test_before_any_plan_the_page_shows_the_night_and_says_so(initial_data, night):
    night.set(MIDNIGHT)
    html = page("/schedule/")
    assert "No plan for the night of 2026-11-21 yet" in html
    assert "pyros start scheduler" in html
    assert 'class="night-svg"' in html and 'id="now-line"' in html
    assert 'class="curve' not in html
    assert "No plan yet." in html
    # Past the night, the now line is not drawn.
    night.set(AFTERNOON.replace(hour=15))
    assert 'id="now-line"' not in page("/schedule/")


def test_the_history_lists_the_plans_newest_first(observer, night):
    submit(observer, sequence("M31", 10.68, 41.27), sequence("south pole", 0.0, -89.0))
    first = plan_tonight(trigger=Trigger.START_OF_NIGHT, detail="night of 2026-11-21")
    second = plan_tonight(trigger=Trigger.ALERT, detail="GRB 261122A",
                          now=AFTERNOON.replace(minute=5))
    html = page("/schedule/history/")
    assert "<h1>Plans</h1>" in html and "2 plans" in html
    ids = [int(i) for i in re.findall(r'<tr data-schedule="(\d+)">', html)]
    assert ids == [second.pk, first.pk]
    assert f'<a href="/schedule/{second.pk}/">2026-11-22 00:05:00</a>' in html
    assert "<td>Alert</td>" in html and "<td>GRB 261122A</td>" in html
    assert "<td>Start of night</td>" in html
    row = html[html.index(f'<tr data-schedule="{first.pk}">'):]
    assert re.search(r'<td>fast( <span class="badge badge-alive">optimal</span>)?</td>\s*'
                     r"<td>1</td>\s*<td>1</td>\s*<td>9,000</td>\s*<td>100.0 %</td>", row)


def test_one_plan_of_the_history_is_shown_like_tonights(observer, night):
    schedule = a_planned_night(observer)
    html = page(f"/schedule/{schedule.pk}/")
    assert f"<h1>Plan #{schedule.pk}</h1>" in html
    assert 'class="night-svg"' in html and "never observable" in html
    assert f'data-refresh-url="/schedule/{schedule.pk}/part/"' in html
    assert 'class="night-svg"' in page(f"/schedule/{schedule.pk}/part/")
    page(f"/schedule/{schedule.pk + 1}/", status=404)


# --- Simulation --------------------------------------------------------------------------


def test_an_anonymous_visitor_sees_the_form_but_must_log_in_to_plan(initial_data):
    html = page("/schedule/simulate/")
    assert '<form method="post" enctype="multipart/form-data"' in html
    assert 'id="login-needed"' in html
    assert 'href="/login/?next=/schedule/simulate/"' in html
    assert '<button type="submit" class="primary">Plan</button>' not in html
    response = Client().post("/schedule/simulate/", {
        "text": json.dumps(simulation_file()), "engine": "fast", "time_limit": "1"})
    assert response.status_code == 403
    assert 'id="login-needed"' in response.content.decode()


def _simulate(client: Client, **data) -> str:
    """Post the form, follow to the job's page (in progress), run the job as the runner
    would, and return the page of its plan."""
    response = client.post("/schedule/simulate/", {"engine": "fast", "time_limit": "2", **data})
    assert response.status_code == 302
    url = response["Location"]
    pk = int(url.rstrip("/").rsplit("/", 1)[1])
    assert url == f"/schedule/simulate/{pk}/"
    waiting = page(url, client)
    assert f'data-url="/api/jobs/{pk}/"' in waiting
    assert '<progress id="job-bar" max="100" value="0">' in waiting
    assert run_queued() == 1
    html = page(url, client)
    assert 'id="job-progress"' not in html
    return html


def test_a_pasted_simulation_is_planned_and_drawn(observer):
    client = logged_in(observer)
    html = page("/schedule/simulate/", client)
    assert '<button type="submit" class="primary">Plan</button>' in html
    assert 'id="planning" class="planning" hidden' in html
    html = _simulate(client, text=json.dumps(simulation_file()))
    assert "<strong>Simulation</strong> of the night of 2026-11-21" in html
    assert 'class="night-svg"' in html
    assert html.count('<path class="block track-PLANNED"') == 2
    assert re.search(r'<tr data-sequence="m31" class="entry-PLANNED">', html)
    assert re.search(r'<tr data-sequence="pole">', html)
    assert "never observable" in html
    assert '<pre id="result-json">{\n  &quot;plan&quot;' in html
    assert not Schedule.objects.exists()


def test_an_uploaded_simulation_is_planned(observer):
    upload = SimpleUploadedFile("night.json", json.dumps(simulation_file()).encode(),
                                content_type="application/json")
    html = _simulate(logged_in(observer), file=upload)
    assert html.count('<path class="block track-PLANNED"') == 2


@pytest.mark.parametrize(("data", "complaint"), [
    ({}, "Choose a simulation file or paste one."),
    ({"text": "{not json"}, "not a JSON file"),
    ({"text": json.dumps(simulation_file(night="soon"))}, "invalid simulation file: night:"),
    ({"text": json.dumps(simulation_file()), "time_limit": "60"},
     "Ensure this value is less than or equal to 30.0."),
])
def test_a_bad_simulation_says_what_is_wrong(observer, data, complaint):
    client = logged_in(observer)
    response = client.post("/schedule/simulate/", {"engine": "optimal", "time_limit": "2",
                                                     **data})
    assert response.status_code == 200
    html = response.content.decode()
    assert complaint in html
    assert "errorlist" in html and 'class="night-svg"' not in html
