"""What the executor is asked to do and what it reports, as plain data.

The majordome turns a stored Sequence (or a calibration it decided to take) into a
:class:`SequenceWork`; the executor runs it on the devices and answers with a
:class:`SequenceOutcome`. Neither side knows the other's storage: the executor never
touches the database, so it is tested against the simulated devices alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from pyros.devices.interfaces import FrameType
from pyros.majordome.flats import FlatAim


class WorkKind(StrEnum):
    SCIENCE = "SCIENCE"  # a sequence of a request
    CALIBRATION = "CALIBRATION"  # bias, darks, twilight flats the majordome decided on
    FOCUS = "FOCUS"  # an autofocus (pyros.focus): frames measured, not recorded as images


class Outcome(StrEnum):
    EXECUTED = "EXECUTED"  # every image taken
    FAILED = "FAILED"  # a device refused or failed: the reason says which and why
    INTERRUPTED = "INTERRUPTED"  # stopped from outside: preemption, operator, safety


@dataclass(frozen=True)
class Pointing:
    """Where to point: ICRS degrees."""

    ra: float
    dec: float


@dataclass(frozen=True)
class Exposures:
    """One plan of an album: ``count`` images of ``exposure`` seconds in ``filter``."""

    name: str
    filter: str | None  # None: leave the wheel where it is (bias, darks)
    exposure: float
    count: int
    frame_type: FrameType = FrameType.LIGHT
    plan_id: int | None = None
    aim: FlatAim | None = None  # twilight flats: the exposure adapts to the sky


@dataclass(frozen=True)
class ChannelWork:
    """One album: the plans one channel (camera) takes, one after the other."""

    channel: str  # the channel's name in the unit configuration
    plans: tuple[Exposures, ...]
    album_id: int | None = None


@dataclass(frozen=True)
class SequenceWork:
    """One sequence: point (unless ``pointing`` is None), then every channel at once."""

    key: str  # "sequence-12" or "calibration-2026-11-21-dusk-bias": names files and logs
    name: str
    kind: WorkKind
    target_name: str
    pointing: Pointing | None
    channels: tuple[ChannelWork, ...]
    priority: int = 0
    sequence_id: int | None = None
    request_id: int | None = None
    needs_open_dome: bool = True  # bias and darks do not

    @property
    def exposure_seconds(self) -> float:
        """The longest channel's exposure time (channels run in parallel)."""
        return max((sum(p.exposure * p.count for p in c.plans) for c in self.channels),
                   default=0.0)


@dataclass(frozen=True)
class ImageTaken:
    """One FITS file written, with what the Image record and the night log need."""

    path: Path
    channel: str
    frame_type: FrameType
    filter: str | None
    exposure: float
    index: int  # 1-based, within its plan
    started: datetime
    ended: datetime
    plan_id: int | None
    album_id: int | None
    airmass: float | None
    headers: dict[str, object] = field(default_factory=dict)  # the keywords we added
    read_out: datetime | None = None  # when the file arrived: the readout ended


@dataclass
class SequenceOutcome:
    outcome: Outcome
    reason: str
    images: list[ImageTaken] = field(default_factory=list)
    started: datetime | None = None
    ended: datetime | None = None
    slew_started: datetime | None = None  # when the slew command was issued
    slew_ended: datetime | None = None  # when the mount stopped (settling comes after)
    focus: object | None = None  # FOCUS work: its pyros.focus.sweep.FocusOutcome
