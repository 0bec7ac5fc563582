"""What the pipeline solves and calibrates a frame against: astrometry.net index files
and reference stars.

A frame of the simulated camera (its header carries SIMSEED) is solved and calibrated
against the simulated sky itself: the catalogue the camera drew its stars from, and an
index built from that catalogue at first use and cached. Any other frame gets what the
configuration names (``[analysis] index_dirs`` and ``catalogue``), and when it names no
index directory, Debian's ``/usr/share/astrometry`` if an ``astrometry-data-*`` package
put index files there. A frame with neither is measured and flagged not solved.
"""

from __future__ import annotations

from pathlib import Path

from pyros.analysis.catalogues import Catalogue, SimulatedSkyCatalogue, table_catalogue
from pyros.analysis.frames import Frame
from pyros.config.analysis import AnalysisConfig

#: Where Debian's astrometry-data-* packages install their index files.
DEBIAN_INDEX_DIR = Path("/usr/share/astrometry")
#: Degrees beyond a simulated pointing the simulated index covers (the simulated mount
#: points true to arcseconds; a hint's search radius is the configuration's).
SIMULATED_INDEX_RADIUS = 0.25


def is_simulated(frame: Frame) -> bool:
    return "SIMSEED" in frame.header


def index_directories(settings: AnalysisConfig) -> list[Path]:
    """The configured directories, else Debian's when it holds index files."""
    if settings.index_dirs:
        return [Path(d).expanduser() for d in settings.index_dirs]
    if DEBIAN_INDEX_DIR.is_dir() and any(DEBIAN_INDEX_DIR.glob("index-*")):
        return [DEBIAN_INDEX_DIR]
    return []


def indexes_for(frame: Frame, settings: AnalysisConfig, extra: list[Path] | None = None,
                cache: Path | None = None) -> list[Path]:
    """Index files or directories to solve ``frame`` with (empty: none to be had)."""
    if extra:
        return list(extra)
    if is_simulated(frame):
        return simulated_index(frame, cache)
    return index_directories(settings)


def catalogue_for(frame: Frame, settings: AnalysisConfig,
                  given: str | None = None) -> Catalogue | None:
    path = given or settings.catalogue
    if path:
        return table_catalogue(str(Path(path).expanduser()), settings.catalogue_limit)
    return SimulatedSkyCatalogue() if is_simulated(frame) else None


def simulated_index(frame: Frame, cache: Path | None = None) -> list[Path]:
    from pyros.analysis.indexes import simulated_sky_index

    if frame.pointing is None or not frame.pixel_scale:
        return []
    width = max(frame.shape) * frame.pixel_scale / 3600.0
    return simulated_sky_index(frame.pointing.ra, frame.pointing.dec, width, frame.pixel_scale,
                               radius=SIMULATED_INDEX_RADIUS, cache_dir=cache)
