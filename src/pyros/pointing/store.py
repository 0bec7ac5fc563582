"""Pointing fits in the database: each one stored with the data it used; the one put in
force is flagged and written where the devices read it (``pyros.pointing.active``).
Science frames give observations too: their solved centre and the header's pointing,
which the analysis stored as an offset."""

from __future__ import annotations

import math
from datetime import date, timedelta

from django.db import transaction

from pyros import astro, clock
from pyros.config.schema import UnitConfig
from pyros.pointing.active import write_active
from pyros.pointing.fit import Observation, PointingFit
from pyros.pointing.models import PointingFitRecord


def fitted_terms(unit: UnitConfig) -> tuple[str, ...]:
    """The configured terms, else those of the configured mount type."""
    from pyros.pointing.terms import MOUNT_TERMS

    config = unit.mount.pointing_model
    return tuple(config.terms) or MOUNT_TERMS[config.mount_type]


def save_fit(unit: UnitConfig, result: PointingFit, observations: list[Observation],
             source: str, description: str, *, adopt: bool) -> PointingFitRecord:
    with transaction.atomic():
        record = PointingFitRecord.objects.create(
            fitted_at=clock.now(), source=source, description=description[:200],
            mount_type=unit.mount.pointing_model.mount_type, latitude=result.latitude,
            terms=list(result.terms), coefficients=result.coefficients, sigmas=result.sigmas,
            covariance=result.covariance, rms_before=result.rms_before,
            rms_after=result.rms_after, fields=result.fields,
            observations=[o.to_dict() for o in observations])
        if adopt:
            put_in_force(record)
    return record


def put_in_force(record: PointingFitRecord | None) -> None:
    """Apply ``record``'s model to the slews from now (None: no correction)."""
    from pyros.pointing.model import PointingModel

    with transaction.atomic():
        PointingFitRecord.objects.filter(in_force=True).update(in_force=False)
        if record is not None:
            PointingFitRecord.objects.filter(pk=record.pk).update(in_force=True)
            record.in_force = True
    write_active(None if record is None else PointingModel(
        {k: float(v) for k, v in record.coefficients.items()}, record.latitude,
        f"fit {record.pk}"))


def in_force() -> PointingFitRecord | None:
    return PointingFitRecord.objects.filter(in_force=True).first()


def observations_from_frames(unit: UnitConfig, first: date, last: date) -> list[Observation]:
    """The solved light frames of the nights ``first`` to ``last`` whose header had a
    pointing: the mount's position then is the solved centre less the offset."""
    from pyros.analysis.models import FrameAnalysis

    site = unit.site
    where = astro.location(site.latitude, site.longitude, site.elevation)
    found = []
    analyses = (FrameAnalysis.objects.select_related("image")
                .filter(solved=True, image__frame_type="LIGHT",
                        image__night__gte=first, image__night__lte=last)
                .order_by("image__date_obs"))
    for analysis in analyses:
        r = analysis.results
        try:
            ra, dec = float(r["centre_ra"]), float(r["centre_dec"])
            east, north = (float(r["pointing_offset_east_arcsec"]),
                           float(r["pointing_offset_north_arcsec"]))
        except (KeyError, TypeError, ValueError):
            continue  # solved, but the header had no pointing
        cosd = max(math.cos(math.radians(dec)), 1e-6)
        image = analysis.image
        middle = image.date_obs + timedelta(seconds=image.exposure / 2)
        lst = (astro.hour_angle(0.0, middle, where) * 15.0) % 360.0
        found.append(Observation(ra=(ra - east / 3600.0 / cosd) % 360.0,
                                 dec=dec - north / 3600.0, solved_ra=ra, solved_dec=dec,
                                 lst=lst))
    return found
