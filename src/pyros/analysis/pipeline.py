"""The pipeline as data: every stage by name, and per kind of frame the list it goes
through. A bias, dark or flat is checked and measured (its frames make masters
elsewhere); a light frame is calibrated, measured, solved, calibrated photometrically,
searched for an alert's transient when it belongs to one, and written.

The lists are the defaults; ``[analysis] pipelines`` in the configuration replaces the
list of a kind (drop ``astrometry`` where no index covers the fields, add ``cosmics``).
"""

from __future__ import annotations

from pyros.analysis import calibration, measurement, solving
from pyros.analysis.context import Context
from pyros.analysis.cosmics import clean_cosmic_rays
from pyros.analysis.frames import Frame, FrameKind
from pyros.analysis.products import write_calibrated, write_catalogue
from pyros.analysis.stages import Report, Stage, run_stages
from pyros.config.analysis import AnalysisConfig


def write_product(frame: Frame, context: Context) -> None:
    if context.output is None:
        return
    name = frame.name.removesuffix(".fz").removesuffix(".fits").removesuffix(".fit")
    context.written = write_calibrated(frame, context.output / f"{name}-cal.fits")
    context.catalogue_written = write_catalogue(frame, context.output / f"{name}-cat.fits")


STAGES: dict[str, Stage] = {
    "header": calibration.check_header,
    "saturation": calibration.mask_bad_pixels,
    "bias": calibration.subtract_bias,
    "dark": calibration.subtract_dark,
    "flat": calibration.divide_flat,
    "cosmics": clean_cosmic_rays,
    "level": measurement.calibration_level,
    "background": measurement.measure_background,
    "sources": measurement.extract_sources,
    "astrometry": solving.solve_stage,
    "photometry": measurement.calibrate_photometry,
    "quality": measurement.summarise_quality,
    "candidates": measurement.search_candidates,
    "write": write_product,
}

DEFAULT_PIPELINES: dict[FrameKind, tuple[str, ...]] = {
    FrameKind.BIAS: ("header", "saturation", "level"),
    FrameKind.DARK: ("header", "saturation", "bias", "level"),
    FrameKind.FLAT: ("header", "saturation", "bias", "dark", "level"),
    FrameKind.LIGHT: ("header", "saturation", "bias", "dark", "flat", "cosmics",
                      "background", "sources", "astrometry", "photometry", "quality",
                      "candidates", "write"),
}


def stages_for(kind: FrameKind, settings: AnalysisConfig) -> list[tuple[str, Stage]]:
    names = settings.pipelines.get(kind.value) or DEFAULT_PIPELINES[kind]
    unknown = [name for name in names if name not in STAGES]
    if unknown:
        raise ValueError(f"[analysis] pipelines.{kind.value}: unknown stages "
                         f"{', '.join(unknown)} (stages: {', '.join(STAGES)})")
    return [(name, STAGES[name]) for name in names]


def analyse(frame: Frame, context: Context) -> Report:
    """Run ``frame`` through its kind's stages; never raises for a bad frame."""
    return run_stages(frame, stages_for(frame.kind, context.settings), context)
