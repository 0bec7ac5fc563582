"""Frames taken to measure the telescope rather than the sky: a central window of the
detector, read and measured at once by a short pipeline (no calibration, no
photometry), for the pointing run (solved centre) and the autofocus (FWHM)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pyros.analysis.files import FileOptions, analyse_file
from pyros.config.analysis import AnalysisConfig
from pyros.config.schema import Channel
from pyros.devices.interfaces import Region

#: What each purpose needs of the pipeline.
SOLVE = ["header", "saturation", "background", "sources", "astrometry", "quality"]
MEASURE = ["header", "saturation", "background", "sources", "quality"]


def central_window(channel: Channel, side: int) -> Region | None:
    """The detector's central ``side``-pixel square (None: the whole detector is
    smaller). The optical axis stays at the detector's centre, so a window centred on
    it has the same centre on the sky."""
    width, height = min(side, channel.width), min(side, channel.height)
    if (width, height) == (channel.width, channel.height):
        return None
    return Region(x=(channel.width - width) // 2, y=(channel.height - height) // 2,
                  width=width, height=height)


def quick_analysis(path: Path, settings: AnalysisConfig, stages: list[str]) -> dict[str, Any]:
    """``pyros analyse``'s summary of one file through ``stages`` only."""
    short = settings.model_copy(update={"pipelines": {**settings.pipelines, "LIGHT": stages}})
    return analyse_file(path, short, FileOptions())
