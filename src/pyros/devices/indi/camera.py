"""An INDI CCD as a PyROS camera: exposures streamed to disk as FITS files (the
``CCD1`` BLOB), the sensor checked against the channel, the driver pointed at the unit's
mount, wheel and focuser (``ACTIVE_DEVICES``) and each image's header made to agree with
them (:mod:`pyros.devices.indi.headers`)."""

from __future__ import annotations

import logging
from pathlib import Path

from pyros import clock
from pyros.config.schema import Channel
from pyros.devices.errors import DeviceError, DeviceRefused, ExposureAborted
from pyros.devices.indi.client import DeviceLink, Property
from pyros.devices.indi.devices import _Deadline, _IndiDevice
from pyros.devices.indi.headers import Companions, correct_header, read_circumstances
from pyros.devices.indi.protocol import State
from pyros.devices.interfaces import Camera, CameraState, CameraStatus, FrameType, Region

log = logging.getLogger(__name__)


class IndiCamera(_IndiDevice, Camera):
    """An INDI CCD's primary chip; images come as BLOBs of ``CCD1`` streamed to disk."""

    _marker = ("CCD_EXPOSURE",)

    def __init__(self, name: str, link: DeviceLink, readout_time: float = 10.0, *,
                 channel: Channel | None = None, snoop: dict[str, str] | None = None,
                 companions: Companions | None = None) -> None:
        """``channel``: the configuration the sensor is checked against; ``snoop``: the
        driver's ``ACTIVE_DEVICES`` (``ACTIVE_TELESCOPE``, ``ACTIVE_FILTER``,
        ``ACTIVE_FOCUSER``: INDI names on the same indiserver); ``companions``: the
        devices whose state each image's header must show."""
        super().__init__(name)
        self._init_link(link)
        self.readout_time = readout_time
        self.channel = channel
        self.snoop = dict(snoop or {})
        self.companions = companions or Companions()
        self.last_corrections: list[str] = []
        self._setpoint: float | None = None
        self._last_image: str | None = None
        self._awaiting_image = False

    def _setup(self, timeout: float) -> None:
        deadline = _Deadline(timeout)
        self.link.enable_blob(deadline.left(), name="CCD1")
        properties = self.link.properties()
        self._check_sensor(properties)
        active = properties.get("ACTIVE_DEVICES")
        wanted = {k: v for k, v in self.snoop.items() if active is not None and k in active.values}
        if active is not None and wanted and any(active.values[k] != v for k, v in wanted.items()):
            self.link.set("ACTIVE_DEVICES", wanted, timeout=deadline.left())
        # Images to us, uncompressed FITS: what the archive and astropy read as they are.
        self._switch_if_off(properties, "UPLOAD_MODE", "UPLOAD_CLIENT", deadline.left())
        self._switch_if_off(properties, "CCD_COMPRESSION", "INDI_DISABLED", deadline.left())
        self._switch_if_off(properties, "CCD_TRANSFER_FORMAT", "FORMAT_FITS", deadline.left())

    def _check_sensor(self, properties: dict[str, Property]) -> None:
        """The sensor the driver reports (``CCD_INFO``) is the one configured."""
        if self.channel is None:
            return
        info = self._require(properties, "CCD_INFO", "no sensor size")
        width, height = int(self._number(info, "CCD_MAX_X")), int(self._number(info, "CCD_MAX_Y"))
        channel = self.channel
        problems = []
        if (width, height) != (channel.width, channel.height):
            problems.append(f"the sensor is {width}x{height} pixels, the channel says "
                            f"{channel.width}x{channel.height}")
        pixel = info.values.get("CCD_PIXEL_SIZE")
        if channel.pixel_size is not None and isinstance(pixel, float) and \
                abs(pixel - channel.pixel_size) > 0.01:
            problems.append(f"its pixels are {pixel:.2f} \u00b5m, the channel says "
                            f"{channel.pixel_size:g} \u00b5m")
        if problems:
            raise DeviceError(self.name, f"{self.link.indi_device} does not match channel "
                                         f"{channel.name}: {'; '.join(problems)} (fix the "
                                         "configuration or the driver's settings)")

    def status(self, timeout: float = 5.0) -> CameraStatus:
        properties = self._ready(timeout)
        exposure = self._require(properties, "CCD_EXPOSURE", "cannot expose")
        left = self._number(exposure, "CCD_EXPOSURE_VALUE")
        if exposure.state is State.ALERT:
            state = CameraState.ERROR
        elif exposure.state is State.BUSY:
            state = CameraState.EXPOSING if left > 0 else CameraState.READING
        else:
            state = CameraState.READING if self._awaiting_image else CameraState.IDLE
        temperature = properties.get("CCD_TEMPERATURE")
        cooler = properties.get("CCD_COOLER")
        cooling = cooler.is_on("COOLER_ON") if cooler is not None else self._setpoint is not None
        return CameraStatus(
            connected=True, state=state,
            ccd_temperature=self._number(temperature, "CCD_TEMPERATURE_VALUE") if temperature
            else float("nan"),
            cooler_setpoint=self._setpoint if cooling else None,
            exposure_left=left if state is CameraState.EXPOSING else 0.0,
            last_image=self._last_image, time=clock.now(),
            cooler_power=_optional_number(properties.get("CCD_COOLER_POWER"),
                                          "CCD_COOLER_VALUE"))

    def expose(self, seconds: float, path: Path, *, frame_type: FrameType = FrameType.LIGHT,
               binning: int = 1, region: Region | None = None, object_name: str = "",
               timeout: float | None = None) -> Path:
        if seconds < 0:
            raise DeviceRefused(self.name, f"exposure time {seconds} s is negative")
        limit = timeout if timeout is not None else seconds + self.readout_time + 30.0
        deadline = _Deadline(limit)
        properties = self._ready(limit)
        path = Path(path).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._abortable("the exposure", ExposureAborted) as stop_if_aborted:
            self._configure(properties, FrameType(frame_type), binning, region, object_name,
                            deadline)
            stop_if_aborted()  # aborted while setting up: start nothing
            known = read_circumstances(self.companions, min(5.0, deadline.left()))
            self._awaiting_image = True
            try:
                self._take(properties, seconds, path, deadline)
            finally:
                self._awaiting_image = False
        self.last_corrections = correct_header(path, known)
        return path

    def _take(self, properties: dict[str, Property], seconds: float, path: Path,
              deadline: _Deadline) -> None:
        """Expose and stream the image to ``path``. Once the image is there, the exposure
        has succeeded, whatever happens next."""
        exposure = self._require(properties, "CCD_EXPOSURE", "cannot expose")
        minimum = exposure.definition.elements[0].minimum or 0.0
        self.link.capture("CCD_EXPOSURE", {"CCD_EXPOSURE_VALUE": max(seconds, minimum)},
                          "CCD1", path, deadline.left(), formats=(".fits",))
        self._last_image = str(path)
        try:
            # Drivers send the image before they report the exposure Ok.
            self.link.wait("CCD_EXPOSURE", lambda p: p.state is not State.BUSY,
                           deadline.left(), "the end of the exposure")
        except DeviceError as error:
            log.warning("%s: the image arrived but the exposure's end was not seen: %s",
                        self.name, error.reason)

    def _configure(self, properties: dict[str, Property], frame_type: FrameType, binning: int,
                   region: Region | None, object_name: str, deadline: _Deadline) -> None:
        bins = self._require(properties, "CCD_BINNING", "cannot bin")
        most = int(bins.definition.elements[0].maximum or 1)
        if not 1 <= binning <= most:
            raise DeviceRefused(self.name, f"binning {binning} is outside 1..{most}")
        info = self._require(properties, "CCD_INFO", "no sensor size")
        width, height = int(self._number(info, "CCD_MAX_X")), int(self._number(info, "CCD_MAX_Y"))
        region = region or Region(0, 0, width, height)
        if (region.x < 0 or region.y < 0 or region.width < 1 or region.height < 1
                or region.x + region.width > width or region.y + region.height > height):
            raise DeviceRefused(self.name, f"region {region} is outside the {width}x{height} "
                                           "sensor")
        self.link.set("CCD_FRAME_TYPE", {f"FRAME_{frame_type.value}": True},
                      timeout=deadline.left(), echoes=False)
        self.link.set("CCD_BINNING", {"HOR_BIN": binning, "VER_BIN": binning},
                      timeout=deadline.left(), echoes=False)
        self.link.set("CCD_FRAME", {"X": region.x, "Y": region.y, "WIDTH": region.width,
                                    "HEIGHT": region.height},
                      timeout=deadline.left(), echoes=False)
        header = properties.get("FITS_HEADER")
        if object_name and header is not None and "FITS_OBJECT" in header.values:
            self.link.set("FITS_HEADER", {"FITS_OBJECT": object_name}, timeout=deadline.left(),
                          echoes=False)

    def abort(self, timeout: float = 5.0) -> None:
        self._send_abort("CCD_ABORT_EXPOSURE", timeout)

    def set_cooler(self, setpoint: float | None, timeout: float = 10.0) -> None:
        deadline = _Deadline(timeout)
        properties = self._ready(timeout)
        if setpoint is None:
            self._require(properties, "CCD_COOLER", "cannot switch its cooler off")
            self.link.set("CCD_COOLER", {"COOLER_OFF": True}, timeout=deadline.left(),
                          echoes=False)
            self._setpoint = None
            return
        temperature = self._require(properties, "CCD_TEMPERATURE", "no temperature control")
        element = temperature.definition.elements[0]
        low, high = element.minimum, element.maximum
        if low is not None and high is not None and low < high and not low <= setpoint <= high:
            raise DeviceRefused(self.name, f"setpoint {setpoint} C is outside {low:g}..{high:g}")
        # Accepted (Busy) is enough: reaching the setpoint takes minutes.
        self.link.set("CCD_TEMPERATURE", {"CCD_TEMPERATURE_VALUE": setpoint},
                      timeout=deadline.left(), wait=False, tolerance=0.05)
        self._setpoint = setpoint
        self._switch_if_off(self.link.properties(), "CCD_COOLER", "COOLER_ON", deadline.left())


def _optional_number(prop: Property | None, element: str) -> float | None:
    """A number a driver may or may not offer (the cooler's power, INDI's standard
    CCD_COOLER_POWER)."""
    if prop is None:
        return None
    try:
        return prop.number(element)
    except KeyError:
        return None
