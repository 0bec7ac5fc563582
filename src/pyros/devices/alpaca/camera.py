"""The camera over Alpaca: ``StartExposure``, ``ImageReady`` polled, the pixels fetched
from ``ImageArray`` (ImageBytes where the server has it) and written here as FITS.

Alpaca knows light and dark frames only (``Light`` True or False): a flat is a light
frame, a bias a dark one of the camera's shortest exposure; the FITS header says which
it was (``IMAGETYP``). The region is set in binned pixels (``StartX``/``NumX``), as the
interface's unbinned region divided by the binning.
"""

from __future__ import annotations

import math
import os
import time
from datetime import datetime
from pathlib import Path

import numpy as np
from astropy.io import fits

from pyros import clock
from pyros.devices.alpaca.base import POLL, AlpacaDevice, Deadline
from pyros.devices.alpaca.client import AlpacaLink
from pyros.devices.errors import DeviceError, DeviceRefused, DeviceTimeout, ExposureAborted
from pyros.devices.interfaces import (
    Camera,
    CameraState,
    CameraStatus,
    FrameType,
    Region,
)

#: Alpaca's CameraState: idle, waiting, exposing, reading, downloading, error.
_STATES = {0: CameraState.IDLE, 1: CameraState.EXPOSING, 2: CameraState.EXPOSING,
           3: CameraState.READING, 4: CameraState.READING, 5: CameraState.ERROR}


class AlpacaCamera(AlpacaDevice, Camera):
    def __init__(self, name: str, link: AlpacaLink, readout_time: float = 10.0) -> None:
        super().__init__(name)
        self._init_link(link)
        self.readout_time = readout_time
        self._size: tuple[int, int] | None = None
        self._max_bin = 1
        self._min_exposure = 0.0
        self._has_temperature = False
        self._setpoint: float | None = None
        self._last_image: str | None = None
        self._exposure_end: float | None = None  # monotonic time the exposure ends

    def _setup(self, timeout: float) -> None:
        deadline = Deadline(timeout)
        self._size = (int(self.link.get("cameraxsize", deadline.left())),
                      int(self.link.get("cameraysize", deadline.left())))
        self._max_bin = max(1, int(self.link.get("maxbinx", deadline.left())))
        try:
            self._min_exposure = float(self.link.get("exposuremin", deadline.left()))
        except DeviceRefused:
            self._min_exposure = 0.0
        try:
            self.link.get("ccdtemperature", deadline.left())
            self._has_temperature = True
        except DeviceRefused:
            self._has_temperature = False

    def _sensor(self, timeout: float) -> tuple[int, int]:
        if self._size is None:
            self.connect(timeout)
        assert self._size is not None  # set by _setup
        return self._size

    def status(self, timeout: float = 5.0) -> CameraStatus:
        self._sensor(timeout)
        names = ("CameraState", "CCDTemperature") if self._has_temperature else ("CameraState",)
        values = self.link.state(names, timeout)
        state = _STATES.get(int(values["CameraState"]), CameraState.ERROR)
        left = 0.0
        if state is CameraState.EXPOSING and self._exposure_end is not None:
            left = max(self._exposure_end - time.monotonic(), 0.0)
        return CameraStatus(
            connected=True, state=state,
            ccd_temperature=float(values.get("CCDTemperature", math.nan)),
            cooler_setpoint=self._setpoint, exposure_left=left, last_image=self._last_image,
            time=clock.now())

    def expose(self, seconds: float, path: Path, *, frame_type: FrameType = FrameType.LIGHT,
               binning: int = 1, region: Region | None = None, object_name: str = "",
               timeout: float | None = None) -> Path:
        if not seconds >= 0:
            raise DeviceRefused(self.name, f"exposure time {seconds} s is not >= 0")
        frame_type = FrameType(frame_type)
        limit = timeout if timeout is not None else seconds + self.readout_time + 30.0
        deadline = Deadline(limit)
        width, height = self._sensor(deadline.left())
        if not 1 <= binning <= self._max_bin:
            raise DeviceRefused(self.name, f"binning {binning} is outside 1..{self._max_bin}")
        region = region or Region(0, 0, width, height)
        if (region.x < 0 or region.y < 0 or region.width < binning or region.height < binning
                or region.x + region.width > width or region.y + region.height > height):
            raise DeviceRefused(self.name, f"region {region} is outside the {width}x{height} "
                                           "sensor")
        path = Path(path).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        started = self._aborts
        for member, value in (("BinX", binning), ("BinY", binning),
                              ("StartX", region.x // binning), ("StartY", region.y // binning),
                              ("NumX", region.width // binning),
                              ("NumY", region.height // binning)):
            self.link.put(member, deadline.left(), **{member: value})
        if self._aborts != started:  # aborted while setting up: start nothing
            raise ExposureAborted(self.name, "the exposure was aborted before it started")
        duration = seconds if frame_type is not FrameType.BIAS else 0.0
        duration = max(duration, self._min_exposure)
        begun = clock.now()
        self.link.put("startexposure", deadline.left(), Duration=duration,
                      Light=frame_type in (FrameType.LIGHT, FrameType.FLAT))
        self._exposure_end = time.monotonic() + duration
        try:
            self._wait_for_image(started, duration, deadline, limit)
        finally:
            self._exposure_end = None
        pixels = self.link.image(deadline.left())
        self._write(path, pixels, begun, duration, frame_type, binning, region, object_name)
        self._last_image = str(path)
        return path

    def _wait_for_image(self, started: int, duration: float, deadline: Deadline,
                        limit: float) -> None:
        """Until ``ImageReady``: an image that arrived is kept even if abort() came
        after it; the camera idle without one was aborted (by another program if not
        by us)."""
        seen_busy = False
        since = time.monotonic()
        while True:
            if self._aborts != started:
                raise ExposureAborted(self.name, "the exposure was aborted")
            if self.link.get("imageready", deadline.left()):
                return
            state = int(self.link.get("camerastate", deadline.left()))
            if state == 5:
                raise DeviceError(self.name, "the camera reports an error during the exposure")
            seen_busy = seen_busy or state != 0
            if state == 0 and (seen_busy or time.monotonic() - since > duration + 2.0) and \
                    not self.link.get("imageready", deadline.left()):
                raise ExposureAborted(self.name, "the exposure ended without an image "
                                                 "(aborted from elsewhere?)")
            if deadline.over:
                raise DeviceTimeout(self.name, f"no image within {limit:g} s")
            time.sleep(POLL)

    def _write(self, path: Path, pixels: np.ndarray, begun: datetime, duration: float,
               frame_type: FrameType, binning: int, region: Region, object_name: str) -> None:
        """The FITS file, written beside and renamed, so no reader sees half of it."""
        header = fits.Header()
        header["DATE-OBS"] = (begun.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3],
                              "UTC start of exposure")
        header["EXPTIME"] = (duration, "exposure time, seconds")
        header["IMAGETYP"] = (frame_type.value, "frame type")
        header["XBINNING"] = (binning, "binning")
        header["YBINNING"] = (binning, "binning")
        header["XORGSUBF"] = (region.x, "subframe origin, unbinned pixels")
        header["YORGSUBF"] = (region.y, "subframe origin, unbinned pixels")
        header["INSTRUME"] = (self.name, "camera")
        if object_name:
            header["OBJECT"] = (object_name, "target")
        partial = path.with_name(f".{path.name}.partial")
        fits.HDUList([fits.PrimaryHDU(data=pixels, header=header)]).writeto(partial,
                                                                             overwrite=True)
        os.replace(partial, path)

    def abort(self, timeout: float = 5.0) -> None:
        self._count_abort()
        try:
            self.link.put("abortexposure", timeout)
        except DeviceRefused as error:
            if getattr(error, "alpaca_number", None) != 0x400:
                raise
            self.link.put("stopexposure", timeout)  # a camera that can only stop early

    def set_cooler(self, setpoint: float | None, timeout: float = 10.0) -> None:
        deadline = Deadline(timeout)
        if setpoint is None:
            self.link.put("cooleron", deadline.left(), CoolerOn=False)
            self._setpoint = None
            return
        if not math.isfinite(setpoint):
            raise DeviceRefused(self.name, f"setpoint {setpoint} C is not a number")
        if not self.link.get("cansetccdtemperature", deadline.left()):
            raise DeviceRefused(self.name, "this camera cannot regulate its temperature")
        self.link.put("setccdtemperature", deadline.left(), SetCCDTemperature=setpoint)
        self.link.put("cooleron", deadline.left(), CoolerOn=True)
        self._setpoint = setpoint
