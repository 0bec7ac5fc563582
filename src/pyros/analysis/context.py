"""What the stages of one frame's analysis share besides the frame: the settings, the
masters chosen for it, the reference catalogue and index files, the options of the run;
and what they leave for the caller (the zero point, the candidates, the file written)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pyros.analysis.calibration import Masters
from pyros.analysis.candidates import Candidate, Region
from pyros.analysis.catalogues import Catalogue, Stars
from pyros.analysis.frames import Frame
from pyros.analysis.photometry import ZeroPoint
from pyros.config.analysis import AnalysisConfig


@dataclass
class Context:
    """What the stages need besides the frame, and what they leave for the caller."""

    settings: AnalysisConfig
    masters: Masters = field(default_factory=Masters)
    catalogue: Catalogue | None = None
    #: astrometry.net index files or directories for a frame (empty: none to be had).
    index: Callable[[Frame], list[Path]] | None = None
    pixel_scale: float | None = None  # arcsec per unbinned pixel (the channel's, or given)
    blind: bool = False  # solve without the header's pointing
    region: Region | None = None  # an alert's error region: search it for candidates
    output: Path | None = None  # the directory of the calibrated file (None: not written)
    cutouts: Path | None = None  # the directory of candidate cutouts
    # Left by the stages.
    reference: Stars | None = None
    zero_point: ZeroPoint | None = None
    candidates: list[Candidate] = field(default_factory=list)
    written: Path | None = None
    catalogue_written: Path | None = None
