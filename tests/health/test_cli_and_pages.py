"""``pyros health summarise`` and ``pyros report``; the Calibration & Health page, the
report's page and file, the subscription, and the warnings on the Observatory and
System pages — with the rights of the matrix's "system" row."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from django.test import Client

from pyros.accounts.profiles import ProfileLevel
from pyros.cli.main import cli
from pyros.health.models import NightMetric, NightReport, ReportSubscription
from pyros.health.morning import build_report
from pyros.health.summarise import summarise_night
from tests.conftest import make_user
from tests.health.conftest import NIGHT, with_thresholds

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def staff(initial_data) -> Client:
    client = Client()
    client.force_login(make_user("ines", ProfileLevel.IE_IS))
    return client


def test_summarise_prints_the_nights_figures(fixture_night):
    code, out, err = run("health", "summarise", "--night", "2026-11-21")
    assert code == 0, out + err
    assert "night 2026-11-21: 18 figures (0 no longer measured)" in out
    assert any(line.split()[:3] == ["fwhm", "VIS", "1.7"] for line in out.splitlines())
    assert NightMetric.objects.filter(night=NIGHT).count() == 18


def test_report_builds_and_prints_the_path(fixture_night):
    code, out, err = run("report", "--night", "2026-11-21")
    assert code == 0, out + err
    path = Path(out.strip())
    assert path.is_file() and path == Path(NightReport.objects.get(night=NIGHT).path)
    # Without --night, in the morning (09:18 local time): the night just ended.
    code, out, err = run("report")
    assert code == 0 and Path(out.strip()) == path
    code, out, err = run("report", "--night", "2026-13-40")
    assert code == 2 and "--night" in err and "Traceback" not in err


def test_the_page_is_for_staff_only(fixture_night, observer, staff):
    summarise_night(NIGHT, with_thresholds())
    page = staff.get("/health/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="span-30"' in html and 'id="span-365"' in html
    assert 'data-metric="fwhm"' in html and "trend-fwhm" in html
    assert "relation-dark" in html and "relation-focus" in html
    assert "<script>" not in html and 'src="/static/health/health.js"' in html
    outsider = Client()
    outsider.force_login(observer)
    assert outsider.get("/health/").status_code == 403
    assert outsider.get("/health/reports/2026-11-21/").status_code == 403
    assert Client().get("/health/").status_code == 302  # to the login page


def test_figures_against_each_other_pair_by_night(db):
    from datetime import timedelta

    from pyros.health.relations import pairs, relations
    from tests.health.conftest import make_night

    make_night()
    make_night(NIGHT + timedelta(days=1))
    unit = with_thresholds()
    summarise_night(NIGHT, unit)
    summarise_night(NIGHT + timedelta(days=1), unit)
    last = NIGHT + timedelta(days=1)
    assert pairs("dark_current", "dark_temperature", True, last, 30) == {
        "VIS": [(-20.0, 0.02), (-20.0, 0.02)]}
    assert pairs("focus_position", "ambient_temperature", False, last, 30) == {
        "focuser": [(7.0, 1005.0), (7.0, 1005.0)]}
    assert pairs("focus_position", "ambient_temperature", False, last, 1) == {
        "focuser": [(7.0, 1005.0)]}
    found = relations(last, 30)
    assert [(r.name, r.points) for r in found] == [("dark", 2), ("focus", 2)]
    assert found[0].svg.count('class="plot-point"') == 2


def test_thresholds_show_on_the_pages(fixture_night, staff, settings):
    summarise_night(NIGHT, settings.UNIT)
    assert "health-warnings" not in staff.get("/observatory/").content.decode()
    settings.UNIT = with_thresholds(fwhm={"max": 1.5})
    for url in ("/observatory/", "/system/", "/health/"):
        html = staff.get(url).content.decode()
        assert 'id="health-warnings"' in html, url
        assert "FWHM (VIS) on 2026-11-21: 1.7 ″, above the maximum 1.5" in html, url


def test_the_subscription_setting(staff):
    assert "Mail me the morning report" in staff.get("/health/").content.decode()
    assert staff.post("/health/subscription/", {"morning_report": "on"}).status_code == 302
    assert ReportSubscription.objects.get().morning_report is True
    assert "Stop mailing me the report" in staff.get("/health/").content.decode()
    assert staff.post("/health/subscription/", {"morning_report": "off"}).status_code == 302
    assert ReportSubscription.objects.get().morning_report is False
    bad = staff.post("/health/subscription/", {"morning_report": "<script>"})
    assert bad.status_code == 400
    assert staff.get("/health/subscription/").status_code == 405


def test_the_report_page_and_its_file(fixture_night, staff, settings):
    assert staff.get("/health/reports/not-a-date/").status_code == 404
    assert staff.get("/health/reports/2026-11-21/file/").status_code == 404  # not built
    page = staff.get("/health/reports/2026-11-21/")
    assert page.status_code == 200 and 'id="night-report"' in page.content.decode()
    build_report(NIGHT, settings.UNIT)
    download = staff.get("/health/reports/2026-11-21/file/")
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    assert b"<style>" in b"".join(download.streaming_content)
    listing = staff.get("/health/").content.decode()
    assert 'href="/health/reports/2026-11-21/"' in listing
