"""The remote-control commands of the devices agent and their arguments, declared once:
the agent's handlers take these types (validated when the command runs) and the web API
checks a request against the same models before sending anything.

Plain pydantic; no Django.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from pyros.devices.interfaces import FrameType

#: The longest exposure a remote user may ask for (the simulated cameras' limit too).
MAX_EXPOSURE = 3600.0
#: Seconds a remote command may wait for the agent: a click must not move the telescope
#: a minute later, when the agent comes back.
REMOTE_VALIDITY = 20.0
#: Seconds a remote command may run (expose gets its exposure and readout on top).
REMOTE_TIMEOUT = 30.0
EXPOSE_MARGIN = 60.0

RightAscension = Annotated[float, Field(ge=0.0, lt=360.0, description="ICRS degrees")]
Declination = Annotated[float, Field(ge=-90.0, le=90.0, description="ICRS degrees")]
ExposureSeconds = Annotated[float, Field(ge=0.0, le=MAX_EXPOSURE, description="seconds")]
ChannelName = Annotated[str, Field(min_length=1, max_length=50,
                                   description="the channel's name")]
FilterName = Annotated[str, Field(min_length=1, max_length=100,
                                  description="the filter to put in first (default: as it is)")]
ObjectName = Annotated[str, Field(max_length=68, description="the OBJECT header")]
FrameTypeName = Annotated[
    FrameType,
    BeforeValidator(lambda value: value.upper() if isinstance(value, str) else value),
    Field(description="LIGHT, DARK, BIAS or FLAT"),
]


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class NoArgs(_Args):
    """No arguments."""


class SlewArgs(_Args):
    ra: RightAscension
    dec: Declination


class ExposeArgs(_Args):
    channel: ChannelName
    seconds: ExposureSeconds
    filter: FilterName | None = None
    frame_type: FrameTypeName = FrameType.LIGHT
    object_name: ObjectName = ""


#: command -> its arguments and what it does, for the API and the page.
REMOTE_COMMANDS: dict[str, tuple[type[_Args], str]] = {
    "slew": (SlewArgs, "point the mount at RA/Dec and track"),
    "park": (NoArgs, "park the mount"),
    "unpark": (NoArgs, "unpark the mount"),
    "abort_mount": (NoArgs, "stop any motion of the mount now"),
    "dome_open": (NoArgs, "open the dome's shutter"),
    "dome_close": (NoArgs, "close the dome's shutter"),
    "expose": (ExposeArgs, "take one image on a channel"),
}


def command_timeout(name: str, args: dict[str, Any], readout: float) -> float:
    """How long the command may run: an exposure needs its time and its readout."""
    if name == "expose":
        return float(args.get("seconds", 0.0)) + readout + EXPOSE_MARGIN
    return REMOTE_TIMEOUT
