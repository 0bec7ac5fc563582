"""The night's calibrations as work: what each channel takes, when there is nothing to
take, and where the twilight flats point."""

from __future__ import annotations

from datetime import date

import pytest

from pyros import astro, clock, paths
from pyros.config.loader import parse_config
from pyros.config.schema import UnitConfig
from pyros.devices.interfaces import FrameType
from pyros.majordome.calibrations import bias_and_darks, in_flat_window, twilight_flats
from pyros.majordome.work import WorkKind

NIGHT = date(2026, 11, 21)


def unit_with(**calibrations: object) -> UnitConfig:
    unit = parse_config(paths.EXAMPLE_CONFIG.read_text(), "example_unit.toml")
    settings = unit.majordome.calibrations.model_validate(
        {**unit.majordome.calibrations.model_dump(), **calibrations})
    majordome = unit.majordome.model_copy(update={"calibrations": settings})
    return unit.model_copy(update={"majordome": majordome})


def plans_of(work, channel: str) -> list[tuple[str, str | None, float, int, FrameType]]:
    job = next(j for j in work.channels if j.channel == channel)
    return [(p.name, p.filter, p.exposure, p.count, p.frame_type) for p in job.plans]


# --- bias and darks ------------------------------------------------------------------


def test_bias_then_darks_on_every_channel_with_the_dome_closed():
    unit = unit_with(bias_count=5, dark_exposures=[30.0, 120.0], dark_count=3)

    work = bias_and_darks(unit, NIGHT, "dusk")

    assert work.key == "calibration-2026-11-21-dusk-darks"
    assert work.kind is WorkKind.CALIBRATION
    assert work.pointing is None and not work.needs_open_dome
    assert [j.channel for j in work.channels] == ["VIS", "NIR"]
    for channel in ("VIS", "NIR"):
        assert plans_of(work, channel) == [
            ("bias", None, 0.0, 5, FrameType.BIAS),
            ("dark 30 s", None, 30.0, 3, FrameType.DARK),
            ("dark 120 s", None, 120.0, 3, FrameType.DARK)]
    assert work.exposure_seconds == 450.0


def test_counts_of_zero_leave_those_frames_out():
    darks_only = bias_and_darks(unit_with(bias_count=0, dark_count=2), NIGHT, "dawn")
    assert darks_only.key == "calibration-2026-11-21-dawn-darks"
    assert [p[0] for p in plans_of(darks_only, "NIR")] == ["dark 30 s"]
    bias_only = bias_and_darks(unit_with(bias_count=2, dark_count=0), NIGHT, "dusk")
    assert [p[0] for p in plans_of(bias_only, "VIS")] == ["bias"]
    assert bias_and_darks(unit_with(bias_count=0, dark_count=0), NIGHT, "dusk") is None


def test_an_end_of_the_night_switched_off_takes_nothing():
    unit = unit_with(dawn=False)
    assert bias_and_darks(unit, NIGHT, "dawn") is None
    assert bias_and_darks(unit, NIGHT, "dusk") is not None
    assert twilight_flats(unit, NIGHT, "dawn", -5.0, 100.0) is None


def test_calibrations_are_at_dusk_or_dawn():
    with pytest.raises(ValueError, match="dusk or dawn, not 'noon'"):
        bias_and_darks(unit_with(), NIGHT, "noon")


# --- twilight flats ----------------------------------------------------------------------


def test_flats_point_high_opposite_the_sun_in_every_filter():
    unit = unit_with(flat_count=4, flat_exposure=3.0)

    work = twilight_flats(unit, NIGHT, "dusk", sun_alt=-5.0, sun_az=250.0)

    assert work.key == "calibration-2026-11-21-dusk-flats"
    assert work.kind is WorkKind.CALIBRATION and work.needs_open_dome
    site = unit.site
    alt, az = astro.altaz(work.pointing.ra, work.pointing.dec, clock.now(),
                          astro.location(site.latitude, site.longitude, site.elevation))
    assert (alt, az) == pytest.approx((75.0, 70.0), abs=0.01)
    for channel in unit.channels:
        assert plans_of(work, channel.name) == [
            (f"flat {f}", f, 3.0, 4, FrameType.FLAT) for f in channel.filters]


def test_flat_filters_chosen_per_channel_go_in_reverse_at_dawn():
    unit = unit_with(flat_filters={"VIS": ["g", "r"]})

    dusk = twilight_flats(unit, NIGHT, "dusk", -6.0, 250.0)
    dawn = twilight_flats(unit, NIGHT, "dawn", -6.0, 110.0)

    assert [p[1] for p in plans_of(dusk, "VIS")] == ["g", "r"]
    assert [p[1] for p in plans_of(dawn, "VIS")] == ["r", "g"]
    assert [p[1] for p in plans_of(dusk, "NIR")] == ["First infrared filter", "J", "H"]
    assert dawn.key == "calibration-2026-11-21-dawn-flats"


def test_no_flats_outside_the_window_or_without_frames():
    assert twilight_flats(unit_with(), NIGHT, "dusk", -1.0, 250.0) is None  # too bright
    assert twilight_flats(unit_with(), NIGHT, "dusk", -12.0, 250.0) is None  # too dark
    assert twilight_flats(unit_with(flat_count=0), NIGHT, "dusk", -5.0, 250.0) is None
    assert twilight_flats(unit_with(flat_filters={"VIS": [], "NIR": []}), NIGHT, "dusk",
                          -5.0, 250.0) is None


def test_a_typo_in_flat_filters_is_an_error_not_a_night_without_flats():
    with pytest.raises(ValueError, match="channel 'VIS' has no filter R"):
        twilight_flats(unit_with(flat_filters={"VIS": ["R"]}), NIGHT, "dusk", -5.0, 250.0)
    with pytest.raises(ValueError, match="no channel 'UV'"):
        twilight_flats(unit_with(flat_filters={"UV": ["u"]}), NIGHT, "dusk", -5.0, 250.0)


def test_the_flat_window_is_between_the_two_sun_altitudes():
    calibrations = unit_with(flats_from_sun_altitude=-3.0,
                             flats_to_sun_altitude=-9.0).majordome.calibrations
    assert in_flat_window(-3.0, calibrations) and in_flat_window(-9.0, calibrations)
    assert in_flat_window(-6.0, calibrations)
    assert not in_flat_window(-2.9, calibrations) and not in_flat_window(-9.1, calibrations)
