"""Master calibrations: a night's bias, dark and flat frames combined into one of each per
channel and binning (and filter, for flats), with what they say about the camera.

Combination is a per-pixel sigma-clipped mean: the median and the median absolute
deviation of the stack, values beyond ``CLIP`` sigma dropped (a cosmic ray, a star on a
sky flat), the mean of the rest. Darks are bias-subtracted before, flats bias- and
dark-subtracted and each scaled to its median first, so that a fading twilight does not
weigh on the result. A master is a FITS file saying where it came from (the frames, the
masters it used) and how good it is:

- bias: its level (ADU) and the read noise (electrons, from the difference of two
  frames: the bias structure cancels, the noise adds in quadrature);
- dark: the dark current in e⁻/s/pixel at its CCD temperature;
- flat: the level of its frames (ADU) and its large-scale uniformity (the spread of the
  master smoothed over 64-pixel boxes: vignetting, dust rings).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
from astropy.io import fits

from pyros.analysis.frames import Frame, FrameError, FrameKind, load_frame

CLIP = 3.0
MAD_TO_SIGMA = 1.4826
UNIFORMITY_BOX = 64


class MasterError(ValueError):
    """A set of frames no master can be made of, with the reason."""


@dataclass
class Master:
    kind: FrameKind
    data: np.ndarray  # float32: bias and dark in ADU, flat normalised to a median of 1
    channel: str
    binning: int
    filter: str = ""
    exposure: float = 0.0  # seconds, for a dark
    ccd_temperature: float | None = None
    date_obs: datetime | None = None  # the middle of its frames
    frames: list[str] = field(default_factory=list)
    used: dict[str, str] = field(default_factory=dict)  # the masters it was made with
    quality: dict[str, float] = field(default_factory=dict)
    name: str = ""  # its file's basename once written

    def write(self, path: Path) -> Path:
        """The master as FITS, written atomically; its name becomes the basename."""
        header = fits.Header()
        header["IMAGETYP"] = (f"MASTER {self.kind.value}", "a combined calibration")
        header["PYRMKIND"] = (self.kind.value, "PyROS master kind")
        header["CHANNEL"] = (self.channel, "instrument channel")
        header["XBINNING"] = (self.binning, "binning")
        header["YBINNING"] = (self.binning, "binning")
        if self.filter:
            header["FILTER"] = (self.filter, "filter")
        header["EXPTIME"] = (self.exposure, "seconds (darks: of the frames combined)")
        if self.ccd_temperature is not None:
            header["CCD-TEMP"] = (round(self.ccd_temperature, 2), "median of its frames, C")
        if self.date_obs is not None:
            header["DATE-OBS"] = (self.date_obs.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3],
                                  "middle of its frames, UTC")
        header["NCOMBINE"] = (len(self.frames), "frames combined")
        for key, value in self.used.items():
            header[key] = (value, "master used")
        for key, value in self.quality.items():
            if math.isfinite(value):
                header[QUALITY_KEYS[key]] = (round(value, 6), key.replace("_", " "))
        columns = fits.ColDefs([fits.Column(name="FILENAME", format="100A",
                                            array=np.array(self.frames))])
        hdus = fits.HDUList([fits.PrimaryHDU(self.data.astype(np.float32), header),
                             fits.BinTableHDU.from_columns(columns, name="FRAMES")])
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        hdus.writeto(partial, overwrite=True, checksum=True)
        partial.replace(path)
        self.name = path.name
        return path


QUALITY_KEYS = {"level": "Q-LEVEL", "read_noise": "Q-RDNOIS", "dark_current": "Q-DARKCU",
                "uniformity": "Q-UNIFOR", "noise": "Q-NOISE"}


def read_master(path: Path) -> Master:
    """A master written by :meth:`Master.write`."""
    try:
        with fits.open(path, memmap=False) as hdus:
            header, data = hdus[0].header, np.asarray(hdus[0].data, np.float32)
            frames = [str(name).strip() for name in hdus["FRAMES"].data["FILENAME"]] \
                if "FRAMES" in hdus else []
    except (OSError, ValueError, KeyError) as exc:
        raise MasterError(f"{path}: not a master ({exc})") from None
    if "PYRMKIND" not in header:
        raise MasterError(f"{path}: not a PyROS master (no PYRMKIND)")
    quality = {key: float(header[card]) for key, card in QUALITY_KEYS.items() if card in header}
    return Master(kind=FrameKind(header["PYRMKIND"]), data=data,
                  channel=str(header.get("CHANNEL", "")),
                  binning=int(header.get("XBINNING", 1)), filter=str(header.get("FILTER", "")),
                  exposure=float(header.get("EXPTIME", 0.0)),
                  ccd_temperature=header.get("CCD-TEMP"), frames=frames,
                  used={k: str(header[k]) for k in ("L1IDBIAS", "L1IDDARK") if k in header},
                  quality=quality, name=path.name)


def clipped_mean(stack: np.ndarray) -> np.ndarray:
    """Per-pixel mean of a (n, y, x) stack after dropping values beyond CLIP sigma of the
    pixel's median; float32. Sigma is the frames' noise, from the difference of two of
    them (a per-pixel spread of five values is too rough: it would clip good ones and
    lose a tenth of the averaging)."""
    median = np.median(stack, axis=0)
    if len(stack) > 1:
        spread = robust_sigma((stack[0] - stack[1])[::4, ::4].ravel()) / math.sqrt(2.0)
    else:
        spread = 0.0
    spread = spread if spread > 0 else np.inf  # identical frames: keep every value
    kept = np.abs(stack - median) <= CLIP * spread
    total = np.where(kept, stack, 0.0).sum(axis=0, dtype=np.float64)
    count = kept.sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), median).astype(np.float32)


def _check_set(frames: Sequence[Frame], kind: FrameKind, minimum: int) -> None:
    if len(frames) < minimum:
        raise MasterError(f"{len(frames)} {kind.value.lower()} frames: a master needs "
                          f"{minimum}")
    shapes = {f.shape for f in frames}
    if len(shapes) != 1:
        raise MasterError(f"frames of different sizes: {sorted(shapes)}")
    wrong = [f.name for f in frames if f.kind is not kind]
    if wrong:
        raise MasterError(f"not {kind.value} frames: {', '.join(wrong[:5])}")
    if kind is FrameKind.FLAT and len({f.filter for f in frames}) != 1:
        raise MasterError("flats of several filters: one master per filter")


def _common(frames: Sequence[Frame], kind: FrameKind) -> dict:
    temperatures = [f.ccd_temperature for f in frames if f.ccd_temperature is not None]
    dates = sorted(f.date_obs for f in frames if f.date_obs is not None)
    return {"kind": kind, "channel": frames[0].channel, "binning": frames[0].binning,
            "ccd_temperature": float(np.median(temperatures)) if temperatures else None,
            "date_obs": dates[len(dates) // 2] if dates else None,
            "frames": [f.name for f in frames]}


def robust_sigma(values: np.ndarray) -> float:
    return float(MAD_TO_SIGMA * np.median(np.abs(values - np.median(values))))


def make_bias(frames: Sequence[Frame], minimum: int) -> Master:
    _check_set(frames, FrameKind.BIAS, minimum)
    data = clipped_mean(np.stack([f.data for f in frames]))
    gain = frames[0].gain
    difference = frames[0].data.astype(np.float64) - frames[1].data
    read_noise_adu = robust_sigma(difference[::2, ::2]) / math.sqrt(2.0)
    quality = {"level": float(np.median(data)),
               "read_noise": read_noise_adu * gain if gain else math.nan,
               "noise": read_noise_adu}
    return Master(data=data, quality=quality, **_common(frames, FrameKind.BIAS))


def make_dark(frames: Sequence[Frame], bias: Master, minimum: int) -> Master:
    _check_set(frames, FrameKind.DARK, minimum)
    exposures = {f.exposure for f in frames}
    if len(exposures) != 1 or not next(iter(exposures)):
        raise MasterError(f"darks of several or no exposure times ({sorted(map(str, exposures))})"
                          ": one master per exposure")
    _check_against(frames[0], bias)
    data = clipped_mean(np.stack([f.data - bias.data for f in frames]))
    exposure = float(next(iter(exposures)))
    gain = frames[0].gain
    rate = float(np.median(data)) / exposure * gain if gain else math.nan
    return Master(data=data, exposure=exposure, used={"L1IDBIAS": bias.name},
                  quality={"dark_current": rate, "level": float(np.median(data))},
                  **_common(frames, FrameKind.DARK))


def make_flat(frames: Sequence[Frame], bias: Master, dark: Master | None,
              minimum: int) -> Master:
    _check_set(frames, FrameKind.FLAT, minimum)
    _check_against(frames[0], bias)
    scaled, levels = [], []
    for frame in frames:
        signal = frame.data - bias.data
        if dark is not None and frame.exposure:
            signal = signal - dark.data * (frame.exposure / dark.exposure)
        level = float(np.median(_centre(signal)))
        if not level > 0:
            raise MasterError(f"{frame.name}: no light (median {level:.1f} ADU over the bias)")
        scaled.append(signal / level)
        levels.append(level)
    data = clipped_mean(np.stack(scaled))
    data /= np.median(_centre(data))
    used = {"L1IDBIAS": bias.name} | ({"L1IDDARK": dark.name} if dark is not None else {})
    return Master(data=data, filter=frames[0].filter, used=used,
                  quality={"level": float(np.mean(levels)), "uniformity": uniformity(data)},
                  **_common(frames, FrameKind.FLAT))


def _centre(image: np.ndarray) -> np.ndarray:
    ny, nx = image.shape
    return image[ny // 4: 3 * ny // 4, nx // 4: 3 * nx // 4]


def uniformity(flat: np.ndarray) -> float:
    """Peak-to-peak of the flat averaged over boxes, relative to its median."""
    ny, nx = flat.shape
    box = max(1, min(UNIFORMITY_BOX, ny // 4, nx // 4))
    trimmed = flat[: ny // box * box, : nx // box * box]
    boxes = trimmed.reshape(ny // box, box, nx // box, box).mean(axis=(1, 3))
    return float((boxes.max() - boxes.min()) / np.median(boxes))


def _check_against(frame: Frame, master: Master) -> None:
    if master.data.shape != frame.shape:
        raise MasterError(f"{frame.name} is {frame.shape}, the master {master.name} "
                          f"{master.data.shape}")


def load_set(paths: Sequence[Path]) -> list[Frame]:
    """Frames for a master; one that cannot be read is an error naming it."""
    frames = []
    for path in paths:
        try:
            frames.append(load_frame(path))
        except FrameError as exc:
            raise MasterError(str(exc)) from None
    return frames
