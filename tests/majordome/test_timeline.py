"""The night's states as a strip: the layout, then on the night log page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pyros.majordome.models import LogKind, NightLogEntry
from pyros.majordome.states import State
from pyros.majordome.timeline import Transition, lay_out

T0 = datetime(2026, 10, 2, 1, 0, tzinfo=UTC)  # a past night: drawn to its last line


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


NIGHT = [Transition(at(0), State.SCHEDULER_STANDBY, "daytime"),
         Transition(at(60), State.OPENING, "dusk"),
         Transition(at(61), State.SCHEDULER_READY, "ready"),
         Transition(at(90), State.OBSERVING, "executing a sequence"),
         Transition(at(210), State.CLOSING, "unsafe conditions"),
         Transition(at(213), State.STANDBY, "unsafe conditions")]


def test_the_strip_runs_from_the_first_transition_to_the_end():
    timeline = lay_out(NIGHT, at(240))
    assert [(s.state, s.group) for s in timeline.segments] == [
        ("SCHEDULER_STANDBY", "closed"), ("OPENING", "moving"), ("SCHEDULER_READY", "open"),
        ("OBSERVING", "observing"), ("CLOSING", "moving"), ("STANDBY", "closed")]
    first, last = timeline.segments[0], timeline.segments[-1]
    assert first.x == 10.0 and last.x + last.width == pytest.approx(890.0, abs=0.01)
    assert timeline.observing_share == pytest.approx(120 / 240)
    assert [t.label for t in timeline.ticks] == ["02h", "03h", "04h"]
    assert "OBSERVING 02:30–04:30 UTC: executing a sequence" in timeline.segments[3].title


def test_an_end_inside_the_night_cuts_it_and_nothing_is_nothing():
    timeline = lay_out(NIGHT, at(100))
    assert [s.state for s in timeline.segments][-1] == "OBSERVING"
    assert timeline.segments[-1].end == at(100)
    assert lay_out([], at(100)) is None
    assert lay_out(NIGHT, at(0)) is None


@pytest.mark.django_db
def test_the_night_log_page_draws_the_nights_states(client, django_user_model):
    for t in NIGHT:
        NightLogEntry.objects.create(time=t.time, night=T0.date() - timedelta(days=1),
                                     kind=LogKind.STATE, message=t.cause,
                                     detail={"to": t.state.value, "cause": t.cause})
    NightLogEntry.objects.create(time=at(240), night=T0.date() - timedelta(days=1),
                                 kind=LogKind.SAFETY, message="the last line")
    html = client.get("/observatory/log/?night=2026-10-01").content.decode()
    assert html.count('<rect class="state-') == 6
    assert 'data-state="OBSERVING"' in html
    assert '<strong id="observing-share">50 %</strong>' in html
