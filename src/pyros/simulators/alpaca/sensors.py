"""Simulated Alpaca devices that sense: the camera, ObservingConditions and the
SafetyMonitor. Their values are the tests' to set (``values``, ``safe``)."""

from __future__ import annotations

import numpy as np

from pyros.simulators.alpaca.common import (
    INVALID_OPERATION,
    INVALID_VALUE,
    NOT_IMPLEMENTED,
    AlpacaFault,
    SimClock,
    SimDevice,
    boolean,
    integer,
    number,
)

IDLE, WAITING, EXPOSING, READING, DOWNLOAD, ERROR = range(6)


class SimCamera(SimDevice):
    device_type = "camera"
    interface_version = 4
    STATE = ("CameraState", "CCDTemperature", "ImageReady", "PercentCompleted")
    READOUT = 0.3  # seconds
    MIN_EXPOSURE, MAX_EXPOSURE = 0.001, 3600.0

    def __init__(self, name: str, clock: SimClock, width: int = 256, height: int = 192,
                 max_bin: int = 4) -> None:
        super().__init__(name, clock)
        self.width, self.height, self.max_bin = width, height, max_bin
        self.frame = {"binx": 1, "biny": 1, "startx": 0, "starty": 0, "numx": width,
                      "numy": height}
        self.cooler_on, self.setpoint, self.temperature = False, 10.0, 10.0
        self._exposure: dict | None = None
        self._image: np.ndarray | None = None
        self._rng = np.random.default_rng(1)

    # --- exposures ------------------------------------------------------------------

    def _advance(self) -> int:
        """The camera's state now; an exposure that ended makes its image."""
        exposure = self._exposure
        if exposure is None:
            return IDLE
        elapsed = self.clock.now() - exposure["t0"]
        if elapsed < exposure["duration"]:
            return EXPOSING
        if elapsed < exposure["duration"] + self.READOUT:
            return READING
        self._image = self._render(exposure)
        self._exposure = None
        return IDLE

    def _render(self, exposure: dict) -> np.ndarray:
        """A flat sky with noise and one bright star in the middle: counts as int32."""
        shape = (exposure["numy"], exposure["numx"])
        level = 1000.0 + (200.0 * exposure["duration"] if exposure["light"] else 0.0)
        pixels = self._rng.normal(level, 10.0, shape)
        y, x = shape[0] // 2, shape[1] // 2
        pixels[max(y - 1, 0):y + 2, max(x - 1, 0):x + 2] += 20_000.0 if exposure["light"] else 0
        return np.clip(pixels, 0, 65535).astype(np.int32)

    def image(self) -> np.ndarray:
        with self.lock:
            if not self.connected:
                raise AlpacaFault(0x407, f"{self.name} is not connected")
            self._advance()
            if self._image is None:
                raise AlpacaFault(INVALID_OPERATION, "no image is ready")
            return self._image

    def put_startexposure(self, params: dict) -> None:
        duration, light = number(params, "Duration"), boolean(params, "Light")
        if not self.MIN_EXPOSURE <= duration <= self.MAX_EXPOSURE:
            raise AlpacaFault(INVALID_VALUE, f"duration {duration} s is outside "
                                             f"{self.MIN_EXPOSURE}..{self.MAX_EXPOSURE}")
        if self._advance() != IDLE:
            raise AlpacaFault(INVALID_OPERATION, "an exposure is already under way")
        f = self.frame
        if f["binx"] != f["biny"] or (f["startx"] + f["numx"]) * f["binx"] > self.width or \
                (f["starty"] + f["numy"]) * f["biny"] > self.height:
            raise AlpacaFault(INVALID_VALUE, f"subframe {f} does not fit the "
                                             f"{self.width}x{self.height} sensor")
        self._image = None
        self._exposure = {**f, "t0": self.clock.now(), "duration": duration, "light": light}

    def get_imageready(self, params: dict) -> bool:
        self._advance()
        return self._image is not None

    def get_camerastate(self, params: dict) -> int:
        return self._advance()

    def get_percentcompleted(self, params: dict) -> int:
        if self._advance() == IDLE:
            return 100 if self._image is not None else 0
        exposure = self._exposure or {}
        total = exposure.get("duration", 0.0) + self.READOUT
        return min(100, int(100 * (self.clock.now() - exposure.get("t0", 0.0)) / total))

    def put_abortexposure(self, params: dict) -> None:
        self._exposure = None

    def put_stopexposure(self, params: dict) -> None:
        if self._exposure is not None:
            self._exposure["duration"] = self.clock.now() - self._exposure["t0"]

    # --- geometry -------------------------------------------------------------------

    def get_cameraxsize(self, params: dict) -> int:
        return self.width

    def get_cameraysize(self, params: dict) -> int:
        return self.height

    def get_maxbinx(self, params: dict) -> int:
        return self.max_bin

    def get_maxbiny(self, params: dict) -> int:
        return self.max_bin

    def get_exposuremin(self, params: dict) -> float:
        return self.MIN_EXPOSURE

    def get_exposuremax(self, params: dict) -> float:
        return self.MAX_EXPOSURE

    def get_canabortexposure(self, params: dict) -> bool:
        return True

    def get_canstopexposure(self, params: dict) -> bool:
        return True

    def get_sensortype(self, params: dict) -> int:
        return 0  # monochrome

    def _frame_member(self, member: str, params: dict) -> None:
        value = integer(params, member)
        low, high = (1, self.max_bin) if member.startswith("Bin") else \
            (0, self.width if member.endswith("X") else self.height)
        if not low <= value <= high:
            raise AlpacaFault(INVALID_VALUE, f"{member} {value} is outside {low}..{high}")
        self.frame[member.lower()] = value

    def __getattr__(self, attribute: str):
        """``get_binx``/``put_binx`` and their kin for the six frame members."""
        method, _, member = attribute.partition("_")
        names = {"binx": "BinX", "biny": "BinY", "startx": "StartX", "starty": "StartY",
                 "numx": "NumX", "numy": "NumY"}
        if member in names and method == "get":
            return lambda params: self.frame[member]
        if member in names and method == "put":
            return lambda params: self._frame_member(names[member], params)
        raise AttributeError(attribute)

    # --- cooling --------------------------------------------------------------------

    def get_ccdtemperature(self, params: dict) -> float:
        return self.setpoint if self.cooler_on else self.temperature

    def get_cansetccdtemperature(self, params: dict) -> bool:
        return True

    def get_setccdtemperature(self, params: dict) -> float:
        return self.setpoint

    def put_setccdtemperature(self, params: dict) -> None:
        setpoint = number(params, "SetCCDTemperature")
        if not -50.0 <= setpoint <= 30.0:
            raise AlpacaFault(INVALID_VALUE, f"setpoint {setpoint} C is outside -50..30")
        self.setpoint = setpoint

    def get_cooleron(self, params: dict) -> bool:
        return self.cooler_on

    def put_cooleron(self, params: dict) -> None:
        self.cooler_on = boolean(params, "CoolerOn")


class SimObservingConditions(SimDevice):
    device_type = "observingconditions"
    interface_version = 2
    STATE = ("DewPoint", "Humidity", "Pressure", "RainRate", "SkyTemperature",
             "Temperature", "WindGust", "WindSpeed")

    def __init__(self, name: str, clock: SimClock) -> None:
        super().__init__(name, clock)
        self.values: dict[str, float | None] = {
            "DewPoint": 2.0, "Humidity": 55.0, "Pressure": 1013.0, "RainRate": 0.0,
            "SkyTemperature": -30.0, "Temperature": 12.0, "WindGust": 5.0, "WindSpeed": 3.0}

    def __getattr__(self, attribute: str):
        method, _, member = attribute.partition("_")
        names = {name.lower(): name for name in self.STATE}
        if method == "get" and member in names:
            return lambda params: self._sensor(names[member])
        raise AttributeError(attribute)

    def _sensor(self, name: str) -> float:
        value = self.values.get(name)
        if value is None:
            raise AlpacaFault(0x402, f"{name} has no value yet")
        return value

    def get_averageperiod(self, params: dict) -> float:
        return 0.0

    def put_averageperiod(self, params: dict) -> None:
        if number(params, "AveragePeriod") != 0.0:
            raise AlpacaFault(INVALID_VALUE, "only instantaneous values (0 hours)")

    def put_refresh(self, params: dict) -> None:
        pass

    def get_timesincelastupdate(self, params: dict) -> float:
        return 0.0

    def get_sensordescription(self, params: dict) -> str:
        name = params.get("sensorname", "")
        if name.lower() not in {s.lower() for s in self.STATE}:
            raise AlpacaFault(NOT_IMPLEMENTED, f"no sensor {name!r}")
        return f"simulated {name}"


class SimSafetyMonitor(SimDevice):
    device_type = "safetymonitor"
    interface_version = 3
    STATE = ("IsSafe",)

    def __init__(self, name: str, clock: SimClock) -> None:
        super().__init__(name, clock)
        self.safe = True

    def get_issafe(self, params: dict) -> bool:
        return self.safe
