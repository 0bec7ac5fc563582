"""The correction layer on the sim backend: with a model in force, the mount is sent
where the model says; without one (or disabled), where it was asked."""

from __future__ import annotations

import math

from pyros import astro, clock
from pyros.config.pointing import SimulatedPointingError
from pyros.devices.corrected import CorrectedMount
from pyros.pointing.active import write_active
from pyros.pointing.model import PointingModel
from tests.pointing.conftest import unit_with

MODEL = {"IH": 120.0, "ID": -80.0, "ME": 60.0}


def _lst(unit) -> tuple[float, object]:
    """The local sidereal time now (degrees), and the site."""
    site = unit.site
    where = astro.location(site.latitude, site.longitude, site.elevation)
    return (astro.hour_angle(0.0, clock.now(), where) * 15.0) % 360.0, where


def test_the_model_in_force_changes_where_the_sim_mount_is_sent(sim_unit):
    unit = unit_with(SimulatedPointingError(), corrected=True)
    write_active(PointingModel(MODEL, unit.site.latitude, "test"))
    devices = sim_unit(unit)
    assert isinstance(devices.mount, CorrectedMount)
    devices.mount.unpark()
    _, where = _lst(unit)
    ra, dec = astro.radec_from_altaz(60.0, 120.0, clock.now(), where)
    devices.mount.slew(ra, dec)
    status = devices.mount.status()
    expected = PointingModel(MODEL, unit.site.latitude).mount_target(ra, dec, _lst(unit)[0])
    moved = math.hypot((status.ra - ra) * math.cos(math.radians(dec)), status.dec - dec)
    assert moved * 3600 > 100  # the correction is ~2′
    assert abs(status.ra - expected[0]) * 3600 < 2 and abs(status.dec - expected[1]) * 3600 < 2

    write_active(None)  # no model in force: sent as asked
    devices.mount.slew(ra, dec)
    status = devices.mount.status()
    assert abs(status.ra - ra) * 3600 < 1 and abs(status.dec - dec) * 3600 < 1


def test_a_disabled_model_is_not_applied(sim_unit):
    unit = unit_with(SimulatedPointingError(), corrected=False)
    write_active(PointingModel(MODEL, unit.site.latitude, "test"))
    devices = sim_unit(unit)
    assert not isinstance(devices.mount, CorrectedMount)
