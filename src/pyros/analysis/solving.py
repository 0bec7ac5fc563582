"""The astrometry stage: the frame's brightest clean sources handed to astrometry.net,
hinted by the header's pointing and the channel's pixel scale (or blind on request);
the solved WCS (TAN-SIP) replaces the header's, every source gets its sky position, and
the offset of the solved centre from the commanded pointing is kept (the pointing model
of a later day is fitted from it).

A frame that is not solved is flagged with the solver's reason and measured all the
same: its FWHM and background do not need a WCS.
"""

from __future__ import annotations

import math

import numpy as np

from pyros.analysis import astrometry
from pyros.analysis.detection import BAD_FLAGS
from pyros.analysis.frames import Frame
from pyros.analysis.stages import FrameRejected

#: Sources given to the solver: the brightest clean ones are the ones index stars are.
SOLVER_SOURCES = 300


def expected_scale(frame: Frame, context) -> float | None:
    """Arcsec per image pixel: the channel's (or the one given) times the binning, else
    what the header says."""
    if context.pixel_scale:
        return context.pixel_scale * frame.binning
    return frame.pixel_scale


def solve_stage(frame: Frame, context) -> None:
    if frame.sources is None:
        raise FrameRejected("astrometry needs the sources stage before")
    indexes = context.index(frame) if context.index is not None else []
    if not indexes:
        frame.flag("not solved: no astrometry.net index files for this field (see "
                   "[analysis] index_dirs, or `pyros analyse --index DIR`)")
        frame.results["solved"] = False
        return
    settings = context.settings
    clean = frame.sources[(frame.sources["flags"] < BAD_FLAGS) & (frame.sources["flux"] > 0)]
    brightest = clean[np.argsort(clean["flux"])[::-1][:SOLVER_SOURCES]]
    scale = expected_scale(frame, context)
    hint = None
    if not context.blind and frame.pointing is not None:
        hint = astrometry.Hint(frame.pointing.ra, frame.pointing.dec, settings.solve_radius)
    ny, nx = frame.shape
    try:
        solution = astrometry.solve(
            brightest["x"], brightest["y"], brightest["flux"], nx, ny,
            indexes=indexes, hint=hint,
            scale=None if scale is None else (scale * (1 - settings.scale_tolerance),
                                              scale * (1 + settings.scale_tolerance)),
            time_limit=settings.solve_time_limit)
    except (astrometry.AstrometryError, ValueError) as exc:
        frame.flag(f"not solved: {exc}")
        frame.results["solved"] = False
        return
    frame.wcs = solution.wcs
    frame.sources["ra"], frame.sources["dec"] = solution.wcs.all_pix2world(
        frame.sources["x"], frame.sources["y"], 0)
    frame.results.update(
        solved=True, astrometric_rms_arcsec=solution.rms, astrometric_stars=solution.matched,
        pixel_scale=solution.pixel_scale, rotation=solution.rotation,
        centre_ra=solution.ra, centre_dec=solution.dec, solve_seconds=solution.elapsed)
    if frame.pointing is not None:
        east = (solution.ra - frame.pointing.ra + 180.0) % 360.0 - 180.0
        east *= math.cos(math.radians(solution.dec)) * 3600.0
        north = (solution.dec - frame.pointing.dec) * 3600.0
        frame.results.update(pointing_offset_east_arcsec=east,
                             pointing_offset_north_arcsec=north,
                             pointing_offset_arcsec=math.hypot(east, north))
