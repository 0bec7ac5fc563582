"""Room on the archive's disk: what is free, what a night will write, and whether it fits.

Plain Python (no database): the System page asks :func:`archive_space` and warns under
``[archive] min_free_gb``; the majordome estimates the night's bytes from its plan
(``majordome/disk.py`` counts the images, :func:`night_bytes` sizes them) and does not
start a night that :func:`night_fits` refuses.

Sizes are what PyROS writes: a raw frame is 16-bit (2 bytes a pixel) with a header of a
few FITS blocks; analysing a light frame adds its calibrated frame (float32: twice the
raw), its source catalogue and the previews of both; the calibrations of the night (bias,
darks, twilight flats at dusk and dawn, as ``[majordome.calibrations]`` says) add their
raw frames and masters. The estimate errs on the large side: running out of disk in the
middle of a night loses frames, refusing a night that would just have fitted loses
nothing that freeing space does not bring back.

GB here are 10⁹ bytes, as disk makers and ``df -H`` count them.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from pathlib import Path

from pyros.archive import layout
from pyros.config.schema import Channel, UnitConfig

GB = 1_000_000_000
FITS_BLOCK = 2880
#: A header of PyROS's (~150 cards with the subsystems' keywords and the checksums).
HEADER_BYTES = 6 * FITS_BLOCK
#: A light frame's source catalogue (a few thousand rows of a dozen columns).
CATALOGUE_BYTES = 500_000
#: The thumbnail and the 1024-pixel preview PNGs of one frame.
PREVIEWS_BYTES = 1_000_000


def free_bytes(path: Path) -> int:
    """Free bytes on the disk holding ``path`` (tests replace this function)."""
    return shutil.disk_usage(path).free


def _existing(path: Path) -> Path:
    """``path`` or its nearest existing parent: a fresh archive's root is not made yet."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def archive_space(unit: UnitConfig) -> int:
    """Free bytes on the archive root's disk."""
    return free_bytes(_existing(layout.archive_root(unit)))


def fits_bytes(width: int, height: int, bytes_per_pixel: int) -> int:
    """A one-image FITS file: the header, then the pixels padded to whole blocks."""
    data = width * height * bytes_per_pixel
    return HEADER_BYTES + math.ceil(data / FITS_BLOCK) * FITS_BLOCK


def raw_bytes(channel: Channel) -> int:
    return fits_bytes(channel.width, channel.height, 2)


def light_bytes(channel: Channel) -> int:
    """A light frame and what its analysis adds: calibrated (float32), catalogue,
    previews of both."""
    return raw_bytes(channel) + fits_bytes(channel.width, channel.height, 4) \
        + CATALOGUE_BYTES + 2 * PREVIEWS_BYTES


def calibration_bytes(unit: UnitConfig, channel: Channel) -> int:
    """One night's bias, darks and twilight flats on ``channel`` with their masters."""
    settings = unit.majordome.calibrations
    times = int(settings.dusk) + int(settings.dawn)
    filters = len(settings.flat_filters.get(channel.name, channel.filters))
    frames = times * (settings.bias_count + settings.dark_count * len(settings.dark_exposures)
                      + settings.flat_count * filters)
    masters = times * (1 + len(settings.dark_exposures) + filters)
    return frames * (raw_bytes(channel) + PREVIEWS_BYTES) \
        + masters * (fits_bytes(channel.width, channel.height, 4) + PREVIEWS_BYTES)


@dataclass(frozen=True)
class NightEstimate:
    """What a night will write on the archive's disk."""

    light_images: int
    bytes: int


def night_bytes(unit: UnitConfig, images: dict[str, int], *,
                calibrations: bool = True) -> NightEstimate:
    """The bytes of ``images`` light frames per channel (name, detector or camera, as a
    request's album names it), and of the night's calibrations on every channel."""
    total = sum(count * light_bytes(_channel(unit, name)) for name, count in images.items())
    if calibrations:
        total += sum(calibration_bytes(unit, channel) for channel in unit.channels)
    return NightEstimate(sum(images.values()), total)


def _channel(unit: UnitConfig, name: str) -> Channel:
    """The channel a request names; the largest when the configuration no longer has it
    (the estimate errs on the large side)."""
    try:
        return unit.channel(name)
    except KeyError:
        return max(unit.channels, key=lambda c: c.width * c.height)


def night_fits(estimate: int, free: int, margin: int) -> bool:
    """Whether writing ``estimate`` bytes leaves at least ``margin`` of ``free``."""
    return estimate <= free - margin


def describe(estimate: int, free: int, margin: int) -> str:
    """The figures, as the night log and the Observatory page say them."""
    return (f"tonight's plan needs {estimate / GB:.1f} GB, the archive's disk has "
            f"{free / GB:.1f} GB free and keeps {margin / GB:.1f} GB (min_free_gb)")
