"""The ``[archive]`` section: where the files live, who may see them when, how long
they are kept, and where they are copied (see docs/archive.md)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Retention(BaseModel):
    """Days each kind of file is kept after its observation; 0 keeps it for ever. A
    master calibration is kept whatever its age while a kept frame refers to it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    raw: int = Field(default=3650, ge=0, le=100 * 365)
    processed: int = Field(default=730, ge=0, le=100 * 365)
    catalogue: int = Field(default=730, ge=0, le=100 * 365)
    master: int = Field(default=730, ge=0, le=100 * 365)
    preview: int = Field(default=30, ge=0, le=100 * 365)


class ArchiveConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    root: str = Field(
        default="",
        description="the archive's folder; empty: 'archive' in the data directory")
    replica: str = Field(
        default="",
        description="a second root (another disk, a NAS mount) `pyros archive replicate` "
                    "copies new files to; empty: no replica")
    proprietary_days: int = Field(
        default=365, ge=0, le=100 * 365,
        description="a program's frames become public this many days after they were "
                    "taken; calibrations are public at once")
    public_to_anonymous: bool = Field(
        default=False,
        description="whether visitors who are not logged in see (and download) public "
                    "frames")
    signed_url_seconds: int = Field(
        default=3600, ge=10, le=7 * 86400,
        description="how long a signed download link stays valid")
    min_free_gb: float = Field(
        default=5.0, ge=0.0, le=1e6,
        description="the System page warns under this free space on the archive's disk, "
                    "and a night whose frames would leave less is not started")
    retention: Retention = Retention()
