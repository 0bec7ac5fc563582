"""The ``[analysis]`` section of a unit's configuration: where the pipeline finds its
index files and reference stars, and the thresholds it works with."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: The kinds of frame a pipeline may be declared for.
FRAME_KINDS = ("BIAS", "DARK", "FLAT", "LIGHT")


class AnalysisConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    index_dirs: list[str] = Field(
        default_factory=list,
        description="directories of astrometry.net index files (e.g. Debian's "
                    "/usr/share/astrometry with astrometry-data-tycho2-* installed); empty: "
                    "the simulated sky's, built at first use, when the cameras are simulated")
    catalogue: str = Field(
        default="",
        description="a FITS table of reference stars (columns RA, DEC in degrees and MAG) "
                    "for zero points and transients; empty: the simulated sky's catalogue "
                    "when the cameras are simulated, else no photometric calibration")
    catalogue_limit: float = Field(
        default=20.0, ge=0.0, le=30.0,
        description="magnitude to which the reference catalogue is complete: a source "
                    "absent from it is a transient candidate only if brighter than this")
    min_calibration_frames: int = Field(
        default=5, ge=1, le=1000, description="frames a master bias, dark or flat needs")
    master_max_age: float = Field(
        default=168.0, gt=0.0, le=24.0 * 365,
        description="hours: masters older (or newer) than this are not used for a frame")
    dark_temperature_tolerance: float = Field(
        default=2.0, gt=0.0, le=50.0,
        description="Celsius: a master dark is used for frames within this of its CCD "
                    "temperature")
    solve_time_limit: float = Field(default=30.0, gt=0.0, le=600.0,
                                    description="seconds astrometry.net gets per frame")
    solve_radius: float = Field(
        default=2.0, gt=0.0, le=180.0,
        description="degrees around the header's pointing the solver searches")
    scale_tolerance: float = Field(
        default=0.05, gt=0.0, lt=1.0,
        description="the pixel scale the solver searches, as a fraction either side of "
                    "the channel's")
    detection_sigma: float = Field(default=5.0, ge=1.0, le=100.0,
                                   description="sources: this many sigma of the background")
    detection_min_area: int = Field(default=5, ge=1, le=1000,
                                    description="sources: at least this many pixels")
    cosmic_rays: bool = Field(
        default=False,
        description="clean cosmic rays (astroscrappy: ~20 s per 2048² frame; the extra "
                    "'cosmics' installs it)")
    candidate_margin: float = Field(
        default=0.75, ge=0.0, le=10.0,
        description="magnitudes: a catalogued star this much brighter than its catalogue "
                    "value is a candidate")
    pipelines: dict[str, list[str]] = Field(
        default_factory=dict,
        description="stages per frame kind (BIAS, DARK, FLAT, LIGHT) replacing the default "
                    "lists; see pyros.analysis.pipeline.STAGES")

    @field_validator("pipelines")
    @classmethod
    def _known_kinds(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for kind in value:
            if kind not in FRAME_KINDS:
                raise ValueError(f"pipelines: unknown frame kind {kind!r} "
                                 f"(kinds: {', '.join(FRAME_KINDS)})")
        return value
