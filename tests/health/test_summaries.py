"""A night's summaries from the fixture night: every figure as chosen, computed again
without change, a figure no longer measured removed, and the thresholds' warnings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from pydantic import ValidationError

from pyros.analysis.models import FrameAnalysis
from pyros.config.health import HealthConfig
from pyros.health.limits import Figure, check
from pyros.health.models import NightMetric
from pyros.health.summarise import summarise_night
from pyros.health.trends import recent_warnings, warnings_between
from tests.health.conftest import NIGHT, make_night, with_thresholds

pytestmark = pytest.mark.django_db


def figures() -> dict[tuple[str, str, str], NightMetric]:
    return {(r.metric, r.channel, r.key): r for r in NightMetric.objects.filter(night=NIGHT)}


def test_the_fixture_nights_figures(fixture_night):
    summary = summarise_night(NIGHT, settings.UNIT)
    found = figures()
    assert summary.written == len(found)
    expected = {
        ("bias_level", "VIS", ""): (1001.0, 2), ("read_noise", "VIS", ""): (5.2, 2),
        ("dark_current", "VIS", ""): (0.02, 1), ("dark_temperature", "VIS", ""): (-20.0, 1),
        ("flat_level", "VIS", "r"): (25000.0, 1), ("flat_level", "VIS", "i"): (24000.0, 1),
        ("fwhm", "VIS", ""): (1.7, 3), ("zero_point", "VIS", "r"): (23.2, 3),
        ("sky_brightness", "VIS", "r"): (20.7, 3), ("pointing_offset", "VIS", ""): (20.0, 3),
        ("ambient_temperature", "", ""): (7.0, 3), ("frames", "VIS", "LIGHT"): (4.0, 4),
        ("ccd_temperature", "VIS", ""): (-19.5, 2),
        ("focus_position", "", "focuser"): (1005.0, 2),
        ("device_failures", "", "mount"): (2.0, 2),
        ("device_failures", "", "majordome"): (1.0, 1),
        ("dome_open_seconds", "", ""): (40.0, 1), ("dome_close_seconds", "", ""): (60.0, 1),
    }
    assert set(found) == set(expected)
    for key, (value, count) in expected.items():
        assert found[key].value == pytest.approx(value), key
        assert found[key].count == count, key
    assert found[("fwhm", "VIS", "")].spread == pytest.approx(0.2055, abs=1e-4)


def test_summarising_again_changes_nothing_but_what_changed(fixture_night):
    summarise_night(NIGHT, settings.UNIT)
    before = {key: (row.pk, row.value) for key, row in figures().items()}
    again = summarise_night(NIGHT, settings.UNIT)
    assert {key: (row.pk, row.value) for key, row in figures().items()} == before
    assert again.deleted == 0
    # A frame analysed again, better; the pointing offsets no longer measured.
    FrameAnalysis.objects.filter(fwhm=2.0).update(fwhm=1.6)
    FrameAnalysis.objects.update(pointing_offset=None)
    third = summarise_night(NIGHT, settings.UNIT)
    after = figures()
    assert third.deleted == 1 and ("pointing_offset", "VIS", "") not in after
    assert after[("fwhm", "VIS", "")].value == pytest.approx(1.6)
    assert after[("fwhm", "VIS", "")].pk == before[("fwhm", "VIS", "")][0]


def test_another_nights_rows_are_left_alone(db):
    make_night()
    make_night(NIGHT + timedelta(days=1), fwhm_shift=1.0)
    summarise_night(NIGHT, settings.UNIT)
    summarise_night(NIGHT + timedelta(days=1), settings.UNIT)
    summarise_night(NIGHT, settings.UNIT)
    fwhm = dict(NightMetric.objects.filter(metric="fwhm").values_list("night", "value"))
    assert fwhm == {NIGHT: pytest.approx(1.7), NIGHT + timedelta(days=1): pytest.approx(2.7)}


def test_thresholds_raise_warnings(fixture_night, settings):
    settings.UNIT = with_thresholds(fwhm={"max": 1.5}, zero_point={"min": 23.5},
                                    read_noise={"min": 1.0, "max": 8.0})
    summarise_night(NIGHT, settings.UNIT)
    found = warnings_between(settings.UNIT, NIGHT, NIGHT)
    assert sorted((w.metric, w.above, w.bound) for w in found) == [
        ("fwhm", True, 1.5), ("zero_point", False, 23.5)]
    fwhm = next(w for w in found if w.metric == "fwhm")
    assert fwhm.message == "FWHM (VIS) on 2026-11-21: 1.7 ″, above the maximum 1.5"
    # The pages look at the last warning_days (3) nights only.
    assert len(recent_warnings(settings.UNIT, NIGHT + timedelta(days=2))) == 2
    assert recent_warnings(settings.UNIT, NIGHT + timedelta(days=4)) == []


def test_check_is_plain_python():
    from datetime import date

    figures_ = [Figure(date(2026, 1, 1), "VIS", "fwhm", "", 3.0),
                Figure(date(2026, 1, 1), "VIS", "fwhm", "", 2.0)]
    limits = HealthConfig(thresholds={"fwhm": {"max": 2.5}}).thresholds
    assert [w.value for w in check(figures_, limits)] == [3.0]


@pytest.mark.parametrize("bad, words", [
    ({"fwhm_typo": {"max": 1}}, "unknown metric fwhm_typo"),
    ({"fwhm": {}}, "needs min, max or both"),
    ({"fwhm": {"min": 3, "max": 2}}, "min 3 is above max 2"),
    ({"fwhm": {"max": float("nan")}}, "finite"),
])
def test_bad_thresholds_are_refused_with_a_sentence(bad, words):
    with pytest.raises(ValidationError, match=words):
        HealthConfig(thresholds=bad)
