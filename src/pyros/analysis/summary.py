"""A frame's analysis as plain data: what `pyros analyse --json` prints, what the
database keeps, what the API serves. One shape for all three, so a figure means the
same thing wherever it is read.

Numbers that could not be measured are ``None`` (JSON null), never NaN: JSON has no
NaN, and a missing figure must look missing.
"""

from __future__ import annotations

import math
from typing import Any

from pyros.analysis.frames import Frame
from pyros.analysis.stages import Report

#: Results copied as they are, when measured.
MEASURED = (
    "astrometric_rms_arcsec", "astrometric_stars", "fwhm_arcsec", "fwhm_pixels",
    "ellipticity", "background", "background_rms", "point_sources", "zero_point",
    "zero_point_error", "zero_point_stars", "limiting_magnitude", "sky_brightness",
    "pixel_scale", "rotation", "centre_ra", "centre_dec", "pointing_offset_east_arcsec",
    "pointing_offset_north_arcsec", "pointing_offset_arcsec", "saturated_pixels", "level",
    "noise", "candidates",
)


def number(value: Any) -> float | int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    value = float(value)
    return value if math.isfinite(value) else None


def wcs_cards(frame: Frame) -> dict[str, Any] | None:
    """The solved WCS as FITS cards (TAN-SIP), or None when the frame was not solved."""
    if frame.wcs is None:
        return None
    header = frame.wcs.to_header(relax=True)
    return {key: header[key] for key in header if key and key not in ("COMMENT", "HISTORY")}


def summary(frame: Frame, report: Report) -> dict[str, Any]:
    """The analysis of one frame (see the module)."""
    results = frame.results
    data: dict[str, Any] = {
        "file": frame.name,
        "kind": frame.kind.value,
        "ok": report.ok,
        "solved": bool(results.get("solved", False)),
        "calibrated": not any(f.startswith("uncalibrated") for f in frame.flags),
        "wcs": wcs_cards(frame),
        "sources": results.get("sources"),
    }
    for key in MEASURED:
        if key in results:
            data[key] = number(results[key])
    if not report.ok:
        data["stopped"] = report.reason
    data["flags"] = list(frame.flags)
    data["masters"] = dict(frame.provenance)
    data["timings"] = {name: round(seconds, 4) for name, seconds in frame.timings.items()}
    data["seconds"] = round(report.seconds, 4)
    return data
