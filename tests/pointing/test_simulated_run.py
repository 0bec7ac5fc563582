"""The whole loop on the simulator: the mount has a known pointing error, the camera
renders the sky where it truly points, the frames are solved by astrometry.net against
the simulated sky's index, the fit finds the error; the model put in force then makes
the slews land on target."""

from __future__ import annotations

import math

from pyros import astro, clock
from pyros.analysis.quicklook import SOLVE, central_window, quick_analysis
from pyros.config.pointing import SimulatedPointingError
from pyros.devices.interfaces import FrameType
from pyros.pointing.active import write_active
from pyros.pointing.fit import fit
from pyros.pointing.run import RunSettings, pointing_run
from tests.pointing.conftest import unit_with

TRUE = {"IH": 90.0, "ID": -60.0, "MA": 45.0, "ME": -70.0}
TERMS = tuple(TRUE)


def test_a_run_recovers_the_simulated_error_and_the_model_corrects_slews(sim_unit, tmp_path):
    error = SimulatedPointingError(terms=TRUE, noise=1.5, seed=7)
    unit = unit_with(error)
    devices = sim_unit(unit)
    outcome = pointing_run(unit, devices, RunSettings(fields=10, exposure=10.0, window=768),
                           tmp_path / "frames")
    assert len(outcome.observations) >= 8, outcome.failures
    result = fit(outcome.observations, TERMS, unit.site.latitude)
    for term, value in TRUE.items():
        error_arcsec = abs(result.coefficients[term] - value)
        assert error_arcsec <= 3 * result.sigmas[term], (term, result.to_dict())
        assert error_arcsec <= 5.0, (term, result.to_dict())
    assert result.rms_before > 60.0
    assert result.rms_after <= result.rms_before / 10

    # The same mount, the fitted model in force: a slew lands on target.
    write_active(result.model("test"))
    corrected = unit_with(error, corrected=True)
    devices = sim_unit(corrected)
    devices.mount.unpark()
    site = unit.site
    where = astro.location(site.latitude, site.longitude, site.elevation)
    channel = unit.channels[0]
    misses = []
    for number, (alt, az) in enumerate([(60.0, 100.0), (50.0, 250.0)]):
        ra, dec = astro.radec_from_altaz(alt, az, clock.now(), where)
        devices.mount.slew(ra, dec)
        path = devices.cameras[channel.name].expose(
            10.0, tmp_path / f"check-{number}.fits", frame_type=FrameType.LIGHT,
            region=central_window(channel, 768))
        found = quick_analysis(path, unit.analysis, SOLVE)
        assert found.get("solved"), found
        east = ((found["centre_ra"] - ra + 180.0) % 360.0 - 180.0) * math.cos(math.radians(dec))
        misses.append(math.hypot(east, found["centre_dec"] - dec) * 3600.0)
    assert max(misses) <= 10.0, misses
