"""The stages that check a raw frame and take the camera out of it: header sanity,
saturated and bad pixels, bias, dark, flat.

A frame without a master it needs is calibrated as far as it can be and flagged
(``uncalibrated: no master flat``): it is still measured, never dropped. A master is
only applied if it fits the frame (same size; the dark scaled by exposure time).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pyros.analysis.frames import Frame, FrameKind
from pyros.analysis.masters import Master
from pyros.analysis.stages import FrameRejected

#: Flat-field values below this are pixels that see (almost) no light: masked.
DEAD_IN_FLAT = 0.2


@dataclass
class Masters:
    bias: Master | None = None
    dark: Master | None = None
    flat: Master | None = None


def check_header(frame: Frame, context) -> None:
    """What every later stage relies on, or the reason it cannot be had."""
    if frame.exposure is not None and frame.exposure < 0:
        raise FrameRejected(f"exposure time {frame.exposure} s is negative")
    if frame.exposure is None:
        if frame.kind is FrameKind.DARK:
            raise FrameRejected("a dark without an exposure time (EXPTIME) in the header")
        if frame.kind is FrameKind.LIGHT:
            frame.flag("no exposure time (EXPTIME) in the header: no zero point")
    if frame.kind is FrameKind.LIGHT and frame.exposure == 0:
        raise FrameRejected("a light frame of 0 s")
    if not 1 <= frame.binning <= 16:
        raise FrameRejected(f"binning {frame.binning} outside 1..16")
    if frame.gain is None:
        frame.flag("no GAIN in the header: errors in ADU only")
    if frame.date_obs is None:
        frame.flag("no DATE-OBS in the header")
    if frame.kind is FrameKind.LIGHT and frame.pointing is None:
        frame.flag("no pointing in the header: the astrometry is blind")


def mask_bad_pixels(frame: Frame, context) -> None:
    """Saturated and non-finite pixels are not to be measured; a frame mostly saturated
    is not a frame."""
    saturated = frame.data >= frame.saturation
    frame.mask |= saturated | ~np.isfinite(frame.data)
    share = float(saturated.mean())
    frame.results["saturated_pixels"] = int(saturated.sum())
    if share > 0.5:
        raise FrameRejected(f"{share:.0%} of the pixels saturated")


def subtract_bias(frame: Frame, context) -> None:
    master = _fitting(frame, context.masters.bias, "bias")
    if master is None:
        return
    frame.data -= master.data
    frame.provenance["L1IDBIAS"] = master.name


def subtract_dark(frame: Frame, context) -> None:
    master = _fitting(frame, context.masters.dark, "dark")
    if master is None or not frame.exposure:
        return
    if "L1IDBIAS" not in frame.provenance:
        frame.flag("uncalibrated: a dark without its bias is not subtracted")
        return
    frame.data -= master.data * np.float32(frame.exposure / master.exposure)
    frame.provenance["L1IDDARK"] = master.name


def divide_flat(frame: Frame, context) -> None:
    master = _fitting(frame, context.masters.flat, "flat")
    if master is None:
        return
    dead = master.data < DEAD_IN_FLAT
    frame.mask |= dead
    frame.data /= np.where(dead, 1.0, master.data).astype(np.float32)
    frame.provenance["L1IDFLAT"] = master.name


def _fitting(frame: Frame, master: Master | None, what: str) -> Master | None:
    if master is None:
        frame.flag(f"uncalibrated: no master {what}")
        return None
    if master.data.shape != frame.shape:
        frame.flag(f"uncalibrated: the master {what} {master.name} is {master.data.shape}, "
                   f"the frame {frame.shape}")
        return None
    return master
