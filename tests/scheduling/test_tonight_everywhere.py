"""One "tonight" everywhere: the Schedule page, the Alerts sky map, the clock API and the
Observatory's night switch name the same night, with the same moon, at every time of day
(the example unit is at San Pedro Mártir, 115.46° W: local mean time is UTC − 7 h 42)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from django.test import Client

from pyros import clock
from pyros.clock import SimulatedClock

pytestmark = pytest.mark.django_db

#: (UTC instant, the night it is): afternoon, evening, after midnight, the morning after
#: dawn (10:40 local, the moment of the report) and just before local noon.
MOMENTS = [
    (datetime(2026, 11, 21, 22, 0, tzinfo=UTC), date(2026, 11, 21)),  # 14:18 local
    (datetime(2026, 11, 22, 4, 0, tzinfo=UTC), date(2026, 11, 21)),   # 20:18
    (datetime(2026, 11, 22, 10, 0, tzinfo=UTC), date(2026, 11, 21)),  # 02:18
    (datetime(2026, 11, 22, 18, 22, tzinfo=UTC), date(2026, 11, 22)),  # 10:40
    (datetime(2026, 11, 22, 19, 40, tzinfo=UTC), date(2026, 11, 22)),  # 11:58
]


def _text(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.mark.parametrize(("moment", "night"), MOMENTS,
                         ids=["afternoon", "evening", "after-midnight", "morning-after",
                              "before-noon"])
def test_every_page_means_the_same_night_and_moon(initial_data, moment, night):
    previous = clock.set_clock(SimulatedClock(moment))
    try:
        client = Client()
        schedule = _text(client, "/schedule/")
        alerts = _text(client, "/alerts/")
        api = client.get("/api/clock/").json()
    finally:
        clock.set_clock(previous)
    wanted = night.isoformat()
    assert re.search(r"for the night of (\d{4}-\d\d-\d\d)", schedule).group(1) == wanted
    assert re.search(r"the night of (\d{4}-\d\d-\d\d)", alerts).group(1) == wanted
    assert api["tonight"] == wanted and api["simulated"] is True
    moon_schedule = re.search(r'id="moon-key">Moon, (\d+) % illuminated', schedule).group(1)
    moon_alerts = re.search(r'class="key key-moon">Moon, (\d+) % illuminated', alerts)
    if moon_alerts is not None:  # the map has a moon while some dark time is left
        assert moon_alerts.group(1) == moon_schedule


def test_the_cli_shows_tonights_plan_not_the_newest(initial_data):
    """At the suite's clock (04:18 local on the 21st) tonight is the night of the 20th; a
    plan of another night, even a newer one, is not tonight's."""
    from click.testing import CliRunner

    from pyros.cli.main import cli
    from pyros.scheduling.models import Schedule, Trigger

    def plan(night: date) -> Schedule:
        return Schedule.objects.create(night=night, created_at=clock.now(),
                                       trigger=Trigger.values[0], engine="fast",
                                       objective=0.0, elapsed=0.1)

    plan(date(2026, 11, 19))
    refused = CliRunner().invoke(cli, ["schedule", "show"])
    assert refused.exit_code != 0
    assert "no plan for tonight (the night of 2026-11-20) yet" in refused.output
    tonight = plan(date(2026, 11, 20))
    plan(date(2026, 11, 21))  # made later, for the next night
    shown = CliRunner().invoke(cli, ["schedule", "show"])
    assert shown.exit_code == 0, shown.output
    assert f"plan #{tonight.pk} of the night of 2026-11-20" in shown.output
