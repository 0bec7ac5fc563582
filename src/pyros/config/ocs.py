"""The ``[ocs]`` section: the Observatory Control System API that TOMs speak
(docs/tom.md).

The TOM Toolkit's OCS facility joins every path to the *root* of the address it is
given (``/api/...``, ``/frames/...``), and two of those paths already mean something
else in PyROS's own API. So the OCS API is served by the same web server on a port of
its own: off unless a port is given, so that nothing listens that nobody asked for.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class OcsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    port: int | None = Field(
        default=None, ge=1, le=65535,
        description="the port the web server also listens on for the OCS API (on the "
                    "[web] host); empty: the OCS API is off")
    telescope_class: str = Field(
        default="1m0", min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_\-]+$",
        description="the telescope class a TOM's requests name in location.telescope_class")
    site_code: str = Field(default="pyr", min_length=1, max_length=10,
                           pattern=r"^[a-z0-9]+$",
                           description="the site code in frame records and telescope states")
    configuration_overhead: float = Field(
        default=90.0, ge=0.0, le=3600.0,
        description="seconds added to each configuration's exposures and readouts for "
                    "the slew, the settling and the filter changes, in request_durations")
