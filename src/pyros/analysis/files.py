"""Analysing FITS files of any origin, one after the other: what `pyros analyse FILE...`
does. A file that cannot be read or analysed becomes an entry with its ``error`` and
the next file goes on; the caller decides the exit code from the entries."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyros.analysis import environment, pipeline
from pyros.analysis.context import Context
from pyros.analysis.frames import FrameError, Pointing, load_frame
from pyros.analysis.summary import summary
from pyros.config.analysis import AnalysisConfig


@dataclass
class FileOptions:
    """What the person analysing the files knows better than their headers."""

    ra: float | None = None  # degrees: the pointing, when the header lacks or misstates it
    dec: float | None = None
    scale: float | None = None  # arcsec per image pixel
    blind: bool = False
    indexes: list[Path] = field(default_factory=list)
    catalogue: str | None = None
    output: Path | None = None  # write the calibrated file and its catalogue there

    def __post_init__(self) -> None:
        if (self.ra is None) != (self.dec is None):
            raise ValueError("give both --ra and --dec, or neither")
        if self.ra is not None and not 0.0 <= self.ra < 360.0:
            raise ValueError(f"--ra {self.ra}: degrees in [0, 360)")
        if self.dec is not None and not -90.0 <= self.dec <= 90.0:
            raise ValueError(f"--dec {self.dec}: degrees in [-90, 90]")
        if self.scale is not None and not 0.01 <= self.scale <= 3600.0:
            raise ValueError(f"--scale {self.scale}: arcsec per pixel in [0.01, 3600]")


def analyse_file(path: Path, settings: AnalysisConfig, options: FileOptions) -> dict[str, Any]:
    """One file's summary, or ``{"file": ..., "error": ...}``."""
    try:
        frame = load_frame(path)
        if options.ra is not None and options.dec is not None:
            frame.pointing = Pointing(options.ra, options.dec)
        if options.scale is not None:
            frame.pixel_scale = options.scale
        context = Context(
            settings, catalogue=environment.catalogue_for(frame, settings, options.catalogue),
            index=lambda f: environment.indexes_for(f, settings, options.indexes),
            blind=options.blind, output=options.output)
        report = pipeline.analyse(frame, context)
    except (FrameError, ValueError, OSError) as exc:
        return {"file": str(path), "error": str(exc)}
    result = summary(frame, report)
    result["file"] = str(path)
    if not report.ok:
        result["error"] = report.reason
    if context.written is not None:
        result["output"] = str(context.written)
    return result


def analyse_files(paths: list[Path], settings: AnalysisConfig,
                  options: FileOptions) -> Iterator[dict[str, Any]]:
    for path in paths:
        yield analyse_file(path, settings, options)
