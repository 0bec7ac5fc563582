"""The stages that measure a calibrated frame: background, sources, photometry, quality,
candidates; and the level of a calibration frame."""

from __future__ import annotations

import math

import numpy as np

from pyros.analysis import candidates, detection, photometry
from pyros.analysis.catalogues import Stars
from pyros.analysis.frames import Frame
from pyros.analysis.masters import robust_sigma
from pyros.analysis.stages import FrameRejected


def calibration_level(frame: Frame, context) -> None:
    """A bias, dark or flat frame's level and noise (the centre half of the image)."""
    ny, nx = frame.shape
    centre = frame.data[ny // 4: 3 * ny // 4, nx // 4: 3 * nx // 4]
    frame.results["level"] = float(np.median(centre))
    frame.results["noise"] = robust_sigma(centre[::2, ::2])


def measure_background(frame: Frame, context) -> None:
    try:
        frame.background = detection.background(frame.data, frame.mask)
    except detection.DetectionError as exc:
        raise FrameRejected(str(exc)) from None
    frame.results["background"] = frame.background.median
    frame.results["background_rms"] = frame.background.rms


def extract_sources(frame: Frame, context) -> None:
    if frame.background is None:
        raise FrameRejected("sources need the background stage before")
    settings = context.settings
    try:
        found = detection.extract(frame.data, frame.background, frame.mask,
                                  sigma=settings.detection_sigma,
                                  min_area=settings.detection_min_area,
                                  saturation=frame.saturation, gain=frame.gain)
    except detection.DetectionError as exc:
        raise FrameRejected(str(exc)) from None
    frame.sources = found.sources
    frame.results["sources"] = len(found.sources)
    frame.results["aperture_pixels"] = found.aperture
    frame.results["source_fwhm_pixels"] = detection.median_fwhm(found.sources)
    core = detection.core_fwhm(frame.data - frame.background.level, found.sources)
    frame.results["fwhm_pixels"] = core if math.isfinite(core) else \
        frame.results["source_fwhm_pixels"]
    frame.results["ellipticity"] = detection.median_ellipticity(found.sources)
    frame.results["point_sources"] = int(found.sources["point"].sum())


def calibrate_photometry(frame: Frame, context) -> None:
    """Zero point, magnitudes, limiting magnitude and sky brightness; without a solved
    WCS or a catalogue there is nothing to calibrate against, and the frame says so."""
    if context.catalogue is None:
        frame.flag("no reference catalogue: no zero point")
        return
    if frame.wcs is None or frame.sources is None or not frame.exposure:
        frame.flag("not solved: no zero point")
        return
    reference = reference_stars(frame, context)
    x, y = frame.wcs.all_world2pix(reference.ra, reference.dec, 0)
    fwhm = frame.results.get("fwhm_pixels", math.nan)
    radius = photometry.MATCH_RADIUS * (fwhm if math.isfinite(fwhm) else 4.0)
    matched = photometry.match(frame.sources["x"], frame.sources["y"], np.asarray(x),
                               np.asarray(y), radius)
    try:
        zp = photometry.zero_point(frame.sources, matched, reference, frame.exposure)
    except photometry.PhotometryError as exc:
        frame.flag(f"no zero point: {exc}")
        return
    context.zero_point = zp
    photometry.magnitudes(frame.sources, zp, frame.exposure)
    frame.results.update(zero_point=zp.value, zero_point_error=zp.error,
                         zero_point_stars=zp.stars)
    frame.results["limiting_magnitude"] = photometry.limiting_magnitude(
        zp, frame.results["background_rms"], fwhm, frame.exposure, frame.gain)
    scale = frame.results.get("pixel_scale") or frame.pixel_scale
    if "L1IDBIAS" in frame.provenance and scale:
        frame.results["sky_brightness"] = photometry.sky_brightness(
            zp, frame.results["background"], frame.exposure, scale)


def reference_stars(frame: Frame, context) -> Stars:
    """The catalogue's stars over the frame (its circumscribed circle), once."""
    if context.reference is None:
        ny, nx = frame.shape
        centre = frame.wcs.all_pix2world([[(nx - 1) / 2, (ny - 1) / 2]], 0)[0]
        corner = frame.wcs.all_pix2world([[0, 0]], 0)[0]
        radius = float(candidates.separation(np.array([corner[0]]), np.array([corner[1]]),
                                             centre[0], centre[1])[0]) * 1.05
        context.reference = context.catalogue.stars(float(centre[0]), float(centre[1]),
                                                    radius, frame.filter)
    return context.reference


def summarise_quality(frame: Frame, context) -> None:
    """FWHM in arcseconds, by the solved scale when there is one."""
    scale = frame.results.get("pixel_scale") or frame.pixel_scale or context.pixel_scale
    fwhm = frame.results.get("fwhm_pixels", math.nan)
    if scale and math.isfinite(fwhm):
        frame.results["fwhm_arcsec"] = fwhm * scale


def search_candidates(frame: Frame, context) -> None:
    """Only for a frame of an alert's sequence (the context names the error region)."""
    if context.region is None:
        return
    if context.catalogue is None or frame.wcs is None or context.zero_point is None:
        frame.flag("no transient search: the frame needs a solution and a zero point")
        return
    reference = reference_stars(frame, context)
    found = candidates.find_candidates(
        frame, reference, context.region, margin=context.settings.candidate_margin,
        limit=context.catalogue.limit)
    if context.cutouts is not None:
        stem = frame.name.removesuffix(".fits")
        for number, candidate in enumerate(found, start=1):
            candidates.write_cutouts(frame, candidate, reference, context.zero_point.value,
                                     context.cutouts, f"{stem}-c{number}")
    context.candidates = found
    frame.results["candidates"] = len(found)
