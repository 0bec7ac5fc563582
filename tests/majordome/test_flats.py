"""Twilight flats that follow the sky: the judgement of one flat, then a dusk on the
simulated observatory, whose flats are the twilight sky (saturated at sun -3° in five
seconds, faint at -9°)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from astropy.io import fits

from pyros.majordome import flats
from pyros.majordome.calibrations import twilight_flats
from pyros.majordome.flats import FlatAim, judge
from pyros.majordome.sun import sun_now
from pyros.majordome.work import Outcome
from pyros.scheduling.unit import site_of
from tests.majordome.test_executor import executor_for

DUSK = FlatAim(level=25_000.0, min_exposure=1.0, max_exposure=60.0, darkening=True)
DAWN = FlatAim(level=25_000.0, min_exposure=1.0, max_exposure=60.0, darkening=False)


@pytest.mark.parametrize("aim, exposure, level, expected", [
    # Good, and the next scaled to the aim.
    (DUSK, 4.0, 20_000.0, (True, 5.0, False)),
    # Too bright but usable next time: deleted, shorter.
    (DUSK, 10.0, 50_000.0, (False, 5.0, False)),
    # Saturated: its true level is unknown, a tenth of the exposure.
    (DUSK, 20.0, 65_535.0, (False, 2.0, False)),
    # At dusk a sky still too bright for the shortest exposure is waited for...
    (DUSK, 1.0, 65_535.0, (False, 1.0, True)),
    # ...and a sky already too dark for the longest ends the filter's flats.
    (DUSK, 60.0, 5_000.0, (False, None, False)),
    # At dawn, the other way round.
    (DAWN, 60.0, 5_000.0, (False, 60.0, True)),
    (DAWN, 1.0, 65_535.0, (False, None, False)),
], ids=["good", "too bright", "saturated", "dusk: wait", "dusk: too dark", "dawn: wait",
        "dawn: too bright"])
def test_a_flat_is_judged_and_the_next_exposure_chosen(aim, exposure, level, expected):
    verdict = judge(aim, exposure, level)
    assert (verdict.keep, verdict.next_exposure, verdict.wait) == pytest.approx(expected)
    assert bool(verdict.reason) == (verdict.wait or verdict.next_exposure is None)


def test_the_level_is_the_median_of_the_centre(tmp_path):
    data = np.full((100, 120), 1000, dtype=np.uint16)
    data[25:75, 30:90] = 20_000  # the centre; the edges are vignetted or worse
    data[50, 60] = 65_535  # a star or a cosmic ray changes nothing
    path = tmp_path / "flat.fits"
    fits.PrimaryHDU(data).writeto(path)
    assert flats.measured_level(path) == 20_000.0
    fits.PrimaryHDU().writeto(path, overwrite=True)
    with pytest.raises(ValueError, match="no 2-D image"):
        flats.measured_level(path)


def test_dusk_flats_find_their_exposure_and_keep_only_good_frames(observatory_factory,
                                                                  tmp_path):
    # J wants 0.07 s at sun -6°: the shortest exposure is lowered so that both channels
    # take their flats in the same minutes.
    # At 10×: each exposure is scaled to the sky the previous one measured, and a second
    # a busy machine loses is 10 s of a darkening twilight (50 s at the usual 50×).
    observatory = observatory_factory(speed=10.0, flat_count=3, flat_exposure=5.0,
                                      flat_min_exposure=0.02,
                                      flat_filters={"VIS": ["r"], "NIR": ["J"]})
    observatory.clock.set(datetime(2026, 11, 22, 1, 7, tzinfo=UTC))
    unit = observatory.unit
    sun = sun_now(site_of(unit), observatory.clock.now(), unit.majordome.open_sun_altitude)
    assert -6.5 < sun.altitude < -5.5
    work = twilight_flats(unit, datetime(2026, 11, 21).date(), "dusk", sun.altitude,
                          sun.azimuth)

    outcome = executor_for(observatory, tmp_path).run(work)

    assert outcome.outcome is Outcome.EXECUTED, outcome.reason
    low, high = (f * unit.majordome.calibrations.flat_level for f in flats.ACCEPTED)
    for channel in ("VIS", "NIR"):
        images = [i for i in outcome.images if i.channel == channel]
        assert [i.index for i in images] == [1, 2, 3]
        for image in images:
            assert low <= flats.measured_level(image.path) <= high
            assert fits.getheader(image.path)["EXPTIME"] == pytest.approx(image.exposure)
        # The first guess, five seconds, saturates both: every kept flat is shorter.
        assert all(i.exposure < 5.0 for i in images)
    files = {p for p in (tmp_path / work.key).iterdir()}
    assert files == {i.path for i in outcome.images}  # the rejected ones are deleted
