"""The morning report of the fixture night: what it says (timeline, weather, safety,
plan and execution per program, images, alerts, faults, warnings, anomalies), the
self-contained file in the archive, and the mail to the subscribers through a real SMTP
server."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from pyros.accounts.profiles import ProfileLevel
from pyros.health import mails
from pyros.health.models import NightMetric, NightReport
from pyros.health.morning import build_report
from pyros.health.report import gather
from pyros.health.summarise import summarise_night
from tests.conftest import make_user
from tests.health.conftest import NIGHT, with_thresholds
from tests.health.night_extras import add_plan_and_alert
from tests.people.test_smtp import smtp  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def night(fixture_night, observer, settings):
    add_plan_and_alert(observer)
    settings.UNIT = with_thresholds(fwhm={"max": 1.5})
    # Thirty quiet nights before: FWHM 1.0 ± 0.05, so 1.7 is an anomaly too.
    for days in range(1, 31):
        NightMetric.objects.create(night=NIGHT - timedelta(days=days), channel="VIS",
                                   metric="fwhm", value=1.0 + 0.05 * (days % 3 - 1), count=3,
                                   computed_at=timezone.now())
    return NIGHT


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_what_the_report_says(night, settings):
    summarise_night(night, settings.UNIT)
    data = gather(night, settings.UNIT)
    assert data.night_end is not None
    assert data.timeline is not None
    assert [s.group for s in data.timeline.segments] == ["moving", "open", "moving", "closed"]
    assert data.weather["readings"] == 2 and data.weather["wind_max"] == 9.0
    assert [e.message for e in data.safety] == ["not closed within 180 s"]
    [program] = data.programs
    assert (program.program, program.planned, program.executed, program.failed) == \
        ("GRB", 2, 1, 1)
    assert program.planned_seconds == 3600.0 and program.charged_seconds == 2400.0
    [vis] = [i for i in data.images if i.frame_type == "LIGHT"]
    assert (vis.frames, vis.analysed, vis.failed, vis.fwhm) == (4, 3, 1, 1.7)
    [alert] = data.alerts
    assert (alert.event, alert.slew_seconds, alert.candidates) == ("SWIFT:1234", 12.5, 1)
    assert [f.message for f in data.faults] == ["the dome did not open: fixture"]
    assert [w.metric for w in data.warnings] == ["fwhm"]
    [anomaly] = data.anomalies
    assert anomaly.metric == "fwhm" and anomaly.usual == pytest.approx(1.0)
    assert anomaly.sigmas > 4


def test_the_file_is_self_contained_and_kept_in_the_archive(night, settings):
    built = build_report(night, settings.UNIT)
    path = Path(built.report.path)
    assert path.parent.parent.name == ".reports" and path.name == "night-20261121.html"
    html = path.read_text()
    assert "<script" not in html and "<link" not in html and 'src="' not in html
    assert "<style>" in html and ".plot-line" in html  # the stylesheets inside
    assert html.count("<svg") >= 6  # the timeline, three weather and two quality plots
    words = text(html)
    for expected in ("Sequences executed: 1 of 2 planned; charged 0.67 h",
                     "GRB 2 1.00 1 1 0 0.67", "SWIFT SWIFT:1234 ACCEPTED 12.5 1",
                     "the dome did not open: fixture",
                     "FWHM (VIS) on 2026-11-21: 1.7 ″, above the maximum 1.5",
                     "Warnings: 1 · anomalies: 1", "not closed within 180 s"):
        assert expected in words, expected
    assert built.report.warnings == 2 and built.mailed == 0
    # Built again: the same row, the file replaced.
    again = build_report(night, settings.UNIT)
    assert again.report.pk == built.report.pk and NightReport.objects.count() == 1


def test_the_report_is_mailed_to_subscribers_through_smtp(
        night, settings, smtp, django_capture_on_commit_callbacks):  # noqa: F811
    staff = make_user("ines", ProfileLevel.IE_IS)
    away = make_user("otto", ProfileLevel.OPERATOR)
    mails.subscribe(staff, True)
    mails.subscribe(away, True)
    away.is_active = False
    away.save()
    make_user("sam", ProfileLevel.SUPEROPERATOR)  # never subscribed
    with django_capture_on_commit_callbacks(execute=True):
        built = build_report(night, settings.UNIT, mail=True)
    assert built.mailed == 1 and built.report.mailed_to == 1
    [message] = smtp.inbox.messages
    assert message["X-Envelope-To"] == "ines@example.org"
    assert "night of 2026-11-21: 1 sequences, 2 warnings" in message["Subject"]
    plain = message.get_body(preferencelist=("plain",)).get_content()
    assert "http://pyros.observatory.example/health/reports/2026-11-21/" in plain
    assert "! FWHM (VIS) on 2026-11-21" in plain
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Night report 2026-11-21" in html and "<svg" in html
