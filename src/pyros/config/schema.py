"""The shape of a unit configuration file, validated once at load.

A *unit* is one mount with N instrument channels (cameras). Everything an agent or a
page needs to know about the site and the hardware is here, as plain typed objects.
Unknown keys are errors: a typo in a safety threshold must not be silently ignored.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pyros.config.analysis import AnalysisConfig
from pyros.config.archive import ArchiveConfig
from pyros.config.auth import AuthConfig
from pyros.config.health import HealthConfig
from pyros.config.mail import MailConfig
from pyros.config.ocs import OcsConfig
from pyros.config.pointing import FocusConfig, PointingModelConfig, SimulatedPointingError

Degrees = Annotated[float, Field(ge=-360.0, le=360.0)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HorizonPoint(Strict):
    azimuth: float = Field(ge=0.0, le=360.0, description="degrees, north through east")
    altitude: float = Field(ge=0.0, le=90.0, description="lowest usable altitude, degrees")


class Site(Strict):
    name: str = Field(min_length=1)
    latitude: float = Field(ge=-90.0, le=90.0, description="degrees, north positive")
    longitude: float = Field(ge=-180.0, le=180.0, description="degrees, east positive")
    elevation: float = Field(ge=-500.0, le=6000.0, description="metres above sea level")
    horizon: list[HorizonPoint] = Field(
        default_factory=list,
        description="horizon profile, interpolated in azimuth; empty means flat at 0 deg",
    )
    night_sun_altitude: float = Field(
        default=-12.0, ge=-18.0, le=0.0, description="the night is when the sun is below this"
    )

    @field_validator("horizon")
    @classmethod
    def _sorted_azimuths(cls, points: list[HorizonPoint]) -> list[HorizonPoint]:
        azimuths = [p.azimuth for p in points]
        if azimuths != sorted(azimuths) or len(set(azimuths)) != len(azimuths):
            raise ValueError("horizon points must have strictly increasing azimuths")
        return points


class MountLimits(Strict):
    min_altitude: float = Field(default=15.0, ge=0.0, le=90.0)
    max_hour_angle: float = Field(default=6.0, gt=0.0, le=12.0, description="hours")


class Mount(Strict):
    name: str = Field(min_length=1)
    device: str = Field(min_length=1, description="name of the entry in [devices]")
    slew_rate_ra: float = Field(gt=0.0, description="degrees per second")
    slew_rate_dec: float = Field(gt=0.0, description="degrees per second")
    settle_time: float = Field(default=5.0, ge=0.0, description="seconds")
    pointing_tolerance: float = Field(
        default=30.0, gt=0.0, le=3600.0,
        description="arcseconds: a slew that ends farther from its target (as the mount "
                    "reports it, after settle_time) is an error")
    limits: MountLimits = MountLimits()
    pointing_model: PointingModelConfig = PointingModelConfig()
    simulated_error: SimulatedPointingError = SimulatedPointingError()


class Channel(Strict):
    """One instrument channel: a camera with its detector and filter wheel."""

    name: str = Field(min_length=1)
    detector: str = Field(min_length=1, description="the name requests use in <album detector>")
    camera: str = Field(min_length=1, description="name of the camera entry in [devices]")
    filter_wheel: str | None = Field(
        default=None, description="name of its filter wheel in [devices], when the wheel is a "
                                  "device of its own (INDI); a sim camera serves its own wheel")
    focuser: str | None = Field(
        default=None, description="name of its focuser in [devices] (default: the unit's "
                                  "only focuser, if it has one)")
    width: int = Field(gt=0, le=100_000, description="pixels")
    height: int = Field(gt=0, le=100_000, description="pixels")
    pixel_scale: float = Field(gt=0.0, description="arcseconds per pixel")
    pixel_size: float | None = Field(
        default=None, gt=0.0, le=100.0,
        description="microns; when set, a real camera's reported pixel size must match")
    readout_time: float = Field(ge=0.0, description="seconds")
    filter_change_time: float = Field(default=2.0, ge=0.0, description="seconds")
    filters: list[str] = Field(min_length=1)
    ccd_setpoint: float | None = Field(
        default=None, ge=-100.0, le=30.0,
        description="Celsius the majordome cools the camera to for the night (dusk's bias "
                    "and darks wait for it) and warms it up from after dawn's; unset: the "
                    "cooler is left as it is")

    @field_validator("filters")
    @classmethod
    def _unique_filters(cls, filters: list[str]) -> list[str]:
        if len(set(filters)) != len(filters):
            raise ValueError("filter names must be unique within a channel")
        if any(not f.strip() for f in filters):
            raise ValueError("filter names must not be empty")
        return filters


DeviceKind = Literal["mount", "dome", "camera", "filterwheel", "focuser", "plc", "weather",
                     "watchdog"]


class Device(Strict):
    kind: DeviceKind
    backend: Literal["sim", "indi", "alpaca", "plc"]
    address: str = Field(
        default="", pattern=r"^$|^[A-Za-z0-9_.\-\[\]:]+:\d{1,5}$", description="host:port"
    )
    indi_device: str | None = Field(default=None, description="INDI device name")
    alpaca_device: int = Field(default=0, ge=0, le=4_294_967_295,
                               description="Alpaca device number on its server")
    alpaca_type: Literal["observingconditions", "safetymonitor"] | None = Field(
        default=None, description="for an Alpaca weather device: which Alpaca device type "
                                  "(observingconditions by default)")
    server: str | None = Field(
        default=None, description="an INDI device's indiserver: a key of [indi_servers] "
                                  "(instead of its own address)")

    @model_validator(mode="after")
    def _one_place(self) -> Device:
        if self.server is not None and self.address:
            raise ValueError("give a device either server or address, not both")
        if self.backend == "indi" and not self.indi_device:
            raise ValueError("an indi device needs indi_device, the driver's device name "
                             "(e.g. \"Telescope Simulator\")")
        if self.kind == "watchdog" and self.backend != "indi":
            raise ValueError("a watchdog is INDI's WatchDog driver: backend = \"indi\"")
        return self

    def indi_address(self, servers: dict[str, str]) -> str:
        """Where its indiserver listens."""
        if self.server is not None:
            return servers[self.server]
        return self.address or "localhost:7624"


class Computer(Strict):
    name: str = Field(min_length=1)
    host: str = Field(min_length=1)
    agents: list[str] = Field(default_factory=list)


class Safety(Strict):
    max_wind_speed: float = Field(default=14.0, gt=0.0, description="m/s")
    max_wind_gust: float = Field(default=20.0, gt=0.0, description="m/s")
    max_humidity: float = Field(default=90.0, gt=0.0, le=100.0, description="percent")
    min_dew_point_margin: float = Field(default=2.0, ge=0.0, description="kelvin")
    max_rain_rate: float = Field(default=0.0, ge=0.0, description="mm/h")
    max_sky_minus_ambient: float = Field(
        default=-20.0, le=0.0, description="sky minus ambient temperature above this is cloudy"
    )
    min_ups_battery: float = Field(default=50.0, ge=0.0, le=100.0, description="percent")
    hysteresis: float = Field(
        default=0.1, ge=0.0, le=0.5,
        description="fraction of a threshold a value must come back by before it is good "
                    "again (wind 14 m/s: good again under 12.6 m/s)")
    safe_delay: float = Field(
        default=900.0, ge=0.0, description="seconds of good conditions before safe again"
    )
    stale_after: float = Field(default=60.0, gt=0.0, description="seconds before data is stale")


class Sensor(Strict):
    """Where one monitored quantity is read in the PLC document, and how to correct it.
    Several sensors may give the same quantity: the lowest ``priority`` that is valid and
    fresh wins."""

    quantity: str = Field(min_length=1, description="see pyros.monitoring.quantities")
    device: str = Field(min_length=1, description="PLC device name")
    value: str = Field(min_length=1, description="value name in that device")
    unit: str = Field(min_length=1, description="the unit the PLC must report")
    priority: int = Field(default=1, ge=1, le=99)
    offset: float = 0.0
    scale: float = 1.0
    invert: bool = Field(default=False, description="for booleans: 1 means false")


def _default_sensors() -> list[Sensor]:
    rows = [
        ("rain_rate", "WXT520", "RainRate", "mm/h", 1), ("rain_rate", "VantagePro", "RainRate",
                                                           "mm/h", 2),
        ("wind_speed", "WXT520", "WindSpeed", "m/s", 1),
        ("wind_speed", "VantagePro", "WindSpeed", "m/s", 2),
        ("humidity", "WXT520", "OutsideHumidity", "percent", 1),
        ("humidity", "VantagePro", "OutsideHumidity", "percent", 2),
        ("temperature", "WXT520", "OutsideTemp", "Celcius", 1),
        ("temperature", "VantagePro", "OutsideTemp", "Celcius", 2),
        ("dew_point", "WXT520", "DewPoint", "deg", 1),
        ("dew_point", "VantagePro", "DewPoint", "deg", 2),
        ("pressure", "WXT520", "Pressure", "mbar", 1),
        ("pressure", "VantagePro", "Pressure", "mbar", 2),
        ("sky_temperature", "MLX90614-1", "SkyTemperature", "Celcius", 1),
        ("doors_open", "SITE", "DoorsOpen", "bool", 1),
        ("lights_on", "SITE", "LightsOn", "bool", 1),
        ("shutter", "SITE", "Shutter", "string", 1),
        ("mains_power", "SITE", "MainsPower", "bool", 1),
        ("ups_on_battery", "SITE", "UpsOnBattery", "bool", 1),
        ("ups_battery_level", "SITE", "UpsBatteryLevel", "percent", 1),
        ("intrusion", "SITE", "Intrusion", "bool", 1),
        ("emergency_stop", "SITE", "EmergencyStop", "bool", 1),
        ("plc_mode", "SITE", "PlcMode", "string", 1),
        ("night_ack", "SITE", "NightAck", "bool", 1),
        ("plc_bypass", "SITE", "Bypass", "bool", 1),
    ]
    sensors = [Sensor(quantity=q, device=d, value=v, unit=u, priority=p)
               for q, d, v, u, p in rows]
    # The DRD11 rain detector says 1 when dry.
    sensors.append(Sensor(quantity="rain_detected", device="DRD11", value="digital",
                          unit="bool", invert=True))
    return sensors


class Monitoring(Strict):
    period: float = Field(default=5.0, gt=0.0, le=3600.0, description="seconds between reads")
    sensors: list[Sensor] = Field(default_factory=_default_sensors)


class Web(Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    allowed_hosts: list[str] = Field(default_factory=lambda: ["127.0.0.1", "localhost"])
    # Sizing (docs/web-server.md): gthread workers, so that a streamed zip or a slow
    # client holds one thread, never a whole worker process.
    workers: int = Field(default=2, ge=1, le=32,
                         description="gunicorn worker processes (about one per core)")
    threads: int = Field(default=8, ge=1, le=64,
                         description="threads per worker: requests served at once by each")
    timeout: int = Field(default=60, ge=10, le=3600,
                         description="seconds a worker may stay silent before gunicorn "
                                     "restarts it (long work runs as jobs, never here)")
    job_workers: int = Field(default=2, ge=1, le=16,
                             description="long jobs (planning simulations) run at once, "
                                         "site-wide, by the job runner")
    jobs_per_user: int = Field(default=1, ge=1, le=16,
                               description="queued or running jobs one user may have")
    job_queue: int = Field(default=8, ge=1, le=1000,
                           description="queued or running jobs site-wide; beyond, 429 busy")
    tls: bool = Field(
        default=False,
        description="the site is served over HTTPS by a proxy in front of PyROS (which "
                    "redirects plain HTTP): cookies are sent over TLS only, browsers are "
                    "told HSTS (docs/security.md)")


class Database(Strict):
    url: str = Field(default="", description="empty: SQLite in the data directory")


_ADDRESS = r"^[A-Za-z0-9_.\-]+(:\d{1,5})?$"


class AlertIntake(Strict):
    """The local VOEvent broker (Comet) the alerts agent reads from."""

    host: str = Field(default="127.0.0.1", description="the interface it listens on")
    port: int = Field(default=8098, ge=1, le=65535, description="where authors submit")
    local_ivo: str = Field(default="ivo://pyros/broker", pattern=r"^ivo://[\w.\-/#~]+$")
    remotes: list[str] = Field(
        default_factory=list,
        description="brokers to subscribe to, host:port (none by default; GCN's when set)")
    author_whitelist: list[str] = Field(
        default_factory=lambda: ["127.0.0.1/32"],
        description="networks allowed to submit packets (never empty)", min_length=1)
    subscriber_whitelist: list[str] = Field(
        default_factory=lambda: ["127.0.0.1/32"],
        description="networks allowed to subscribe (never empty)", min_length=1)
    simulated_afterglow_magnitude: float | None = Field(
        default=16.0, ge=5.0, le=30.0,
        description="with simulated cameras: the magnitude, a minute after the burst, of the "
                    "afterglow an accepted alert puts in the simulated sky (none: no afterglow)")
    simulated_afterglow_decay: float = Field(
        default=1.0, ge=-3.0, le=5.0,
        description="its power-law decay index (flux as time to the minus this)")

    @field_validator("remotes")
    @classmethod
    def _addresses(cls, remotes: list[str]) -> list[str]:
        import re

        for remote in remotes:
            if not re.match(_ADDRESS, remote):
                raise ValueError(f"{remote!r} is not host or host:port")
        return remotes

    @field_validator("author_whitelist", "subscriber_whitelist")
    @classmethod
    def _networks(cls, networks: list[str]) -> list[str]:
        from ipaddress import ip_network

        for network in networks:
            ip_network(network, strict=False)  # ValueError names it
        return networks


class Calibrations(Strict):
    """The calibration frames the majordome takes by itself each night."""

    bias_count: int = Field(default=10, ge=0, le=1000, description="bias frames per channel, "
                                                                   "at dusk and at dawn")
    dark_exposures: list[float] = Field(
        default_factory=lambda: [60.0], description="seconds; darks of each length per channel")
    dark_count: int = Field(default=5, ge=0, le=1000, description="darks per exposure length")
    flat_count: int = Field(default=3, ge=0, le=1000, description="twilight flats per filter")
    flat_exposure: float = Field(default=5.0, gt=0.0, le=600.0,
                                 description="seconds: the first flat's exposure; the next "
                                             "follow the sky when flat_level is set")
    flat_level: float = Field(
        default=25_000.0, ge=0.0, le=60_000.0,
        description="raw ADU a twilight flat aims at (its centre's median, bias included): "
                    "each flat is measured and the next exposure scaled; 0: every flat of "
                    "flat_exposure seconds")
    flat_min_exposure: float = Field(default=1.0, gt=0.0, le=600.0,
                                     description="seconds: a sky needing less is too bright")
    flat_max_exposure: float = Field(default=60.0, gt=0.0, le=600.0,
                                     description="seconds: a sky needing more is too dark")
    flat_filters: dict[str, list[str]] = Field(
        default_factory=dict,
        description="channel -> filters to flat-field; a channel not named: all its filters")
    flats_from_sun_altitude: float = Field(
        default=-3.0, ge=-18.0, le=0.0, description="twilight flats when the sun is between "
                                                    "this altitude and the next")
    flats_to_sun_altitude: float = Field(default=-9.0, ge=-18.0, le=0.0)
    dusk: bool = Field(default=True, description="take them at dusk")
    dawn: bool = Field(default=True, description="take them at dawn")

    @field_validator("dark_exposures")
    @classmethod
    def _positive(cls, exposures: list[float]) -> list[float]:
        if any(not 0 < e <= 3600 for e in exposures):
            raise ValueError("dark exposures are seconds in (0, 3600]")
        return exposures

    @model_validator(mode="after")
    def _flat_window(self) -> Calibrations:
        if self.flats_to_sun_altitude >= self.flats_from_sun_altitude:
            raise ValueError("flats_to_sun_altitude must be below flats_from_sun_altitude")
        if self.flat_min_exposure >= self.flat_max_exposure:
            raise ValueError("flat_min_exposure must be below flat_max_exposure")
        return self


def check_device_references(unit: UnitConfig) -> None:
    """INDI servers, channels' focusers and watchdogs name things that exist."""
    import re

    for name, address in unit.indi_servers.items():
        if not re.match(r"^[A-Za-z0-9_.\-\[\]:]+:\d{1,5}$", address):
            raise ValueError(f"indi_servers.{name}: {address!r} is not host:port")
    for name, device in unit.devices.items():
        if device.server is not None and device.server not in unit.indi_servers:
            known = ", ".join(unit.indi_servers) or "none"
            raise ValueError(f"devices.{name}.server {device.server!r} is not a key of "
                             f"[indi_servers] (servers: {known})")
    for i, channel in enumerate(unit.channels):
        focuser = channel.focuser
        if focuser is not None and (focuser not in unit.devices
                                    or unit.devices[focuser].kind != "focuser"):
            raise ValueError(f"channels[{i}].focuser {focuser!r} is not a focuser of [devices]")
    if len(unit.devices_of_kind("watchdog")) > 1:
        raise ValueError("[devices]: at most one watchdog")


def check_flat_filters(channels: list[Channel], calibrations: Calibrations) -> None:
    """``flat_filters`` names channels and filters of the unit: a typo would otherwise
    cost every night's flats silently."""
    by_name = {c.name: c for c in channels}
    for name, filters in calibrations.flat_filters.items():
        if name not in by_name:
            raise ValueError(f"[majordome.calibrations] flat_filters: no channel '{name}' "
                             f"(channels: {', '.join(by_name)})")
        unknown = [f for f in filters if f not in by_name[name].filters]
        if unknown:
            raise ValueError(f"[majordome.calibrations] flat_filters: channel '{name}' has no "
                             f"filter {', '.join(unknown)} (filters: "
                             f"{', '.join(by_name[name].filters)})")


class Cooling(Strict):
    """How the majordome waits for the cameras' coolers (each channel's ccd_setpoint)."""

    tolerance: float = Field(default=1.0, gt=0.0, le=10.0,
                             description="kelvin: a camera this close to its set-point is cold")
    timeout: float = Field(
        default=1800.0, gt=0.0, le=7200.0,
        description="seconds dusk's bias and darks wait for the cameras to be cold; past "
                    "it the night log says which did not make it, and they are taken anyway")


class MajordomeConfig(Strict):
    """How the majordome runs the night."""

    open_sun_altitude: float = Field(
        default=-3.0, ge=-18.0, le=5.0,
        description="dusk begins (the dome may open for flats) when the sun goes below this, "
                    "dawn ends (close and park) when it comes back above; the night proper is "
                    "site.night_sun_altitude")
    require_night_ack: bool = Field(
        default=True, description="observe only once the operator gave the night's ACK (the "
                                  "PLC's button or the Observatory page)")
    close_within: float = Field(default=180.0, gt=0.0, le=1800.0,
                                description="seconds the dome and mount get to close and park")
    open_within: float = Field(default=180.0, gt=0.0, le=1800.0,
                               description="seconds the dome gets to open")
    heartbeat: float = Field(
        default=60.0, ge=0.0, le=3600.0,
        description="seconds (of wall time, whatever a simulated clock's speed) without the "
                    "majordome after which the dome closes and the mount parks by themselves "
                    "(0: no watchdog)")
    bypass_timeout: float = Field(
        default=20.0, gt=0.0, le=600.0,
        description="seconds the PLC gets to say it took a PLC BYPASS (or its end); past it, "
                    "the PLC is KO: closed and parked until it says so")
    start_early: float = Field(default=60.0, ge=0.0, le=600.0,
                               description="seconds before its planned start a sequence may "
                                           "begin (the slew)")
    period: float = Field(default=0.5, gt=0.0, le=10.0,
                          description="seconds between two decisions")
    status_timeout: float = Field(
        default=2.0, gt=0.0, le=60.0,
        description="seconds the mount and the dome get to say where they are at each "
                    "decision; a device silent for longer is taken as neither closed nor "
                    "open, so the observatory closes")
    calibrations: Calibrations = Calibrations()
    cooling: Cooling = Cooling()


class AccountingConfig(Strict):
    """Time accounting (docs/people.md): what a program whose time is used up may still
    get from the scheduler."""

    alerts_overdraw: bool = Field(
        default=True,
        description="alerts are planned even when their program's time is used up (the "
                    "excess is charged all the same: the program's remaining goes negative)")


class Webcam(Strict):
    """A camera of the Webcams page: an image a program on the site keeps writing
    (``file``, served by PyROS), an image another server serves (``url``, which the
    visitor's browser loads), or the simulator's all-sky camera (``simulated``)."""

    name: str = Field(min_length=1, max_length=60)
    file: str | None = Field(default=None, min_length=1,
                             description="path of a PNG or JPEG file the camera overwrites")
    url: str | None = Field(default=None, pattern=r"^https?://[^\s\"'<>]+$", max_length=500,
                            description="http(s) URL of the camera's latest image")
    simulated: bool = Field(default=False, description="the simulated all-sky camera")
    refresh: float = Field(default=10.0, ge=2.0, le=3600.0,
                           description="seconds between two loads of the image")

    @model_validator(mode="after")
    def _one_source(self) -> Webcam:
        sources = [self.file is not None, self.url is not None, self.simulated]
        if sum(sources) != 1:
            raise ValueError(f"webcam {self.name!r}: give exactly one of file, url or "
                             "simulated = true")
        return self


class UnitConfig(Strict):
    unit: str = Field(min_length=1, description="the unit's name")
    site: Site
    mount: Mount
    channels: list[Channel] = Field(min_length=1)
    devices: dict[str, Device]
    indi_servers: dict[str, str] = Field(
        default_factory=dict, description="name -> host:port of each indiserver; INDI "
                                          "devices name theirs with server")
    computers: list[Computer] = Field(min_length=1)
    safety: Safety = Safety()
    monitoring: Monitoring = Monitoring()
    web: Web = Web()
    database: Database = Database()
    alerts: AlertIntake = AlertIntake()
    majordome: MajordomeConfig = MajordomeConfig()
    analysis: AnalysisConfig = AnalysisConfig()
    archive: ArchiveConfig = ArchiveConfig()
    mail: MailConfig = MailConfig()
    accounting: AccountingConfig = AccountingConfig()
    auth: AuthConfig = AuthConfig()
    ocs: OcsConfig = OcsConfig()
    health: HealthConfig = HealthConfig()
    webcams: list[Webcam] = Field(
        default_factory=list, max_length=16,
        description="the Webcams page's cameras; none: the simulated all-sky camera when "
                    "the unit has simulated devices")
    focus: FocusConfig = FocusConfig()

    @model_validator(mode="after")
    def _cross_references(self) -> UnitConfig:
        if self.ocs.port is not None and self.ocs.port == self.web.port:
            raise ValueError(f"ocs.port {self.ocs.port} is the web site's port: the OCS API "
                             "needs a port of its own (docs/tom.md)")
        if self.mount.device not in self.devices:
            raise ValueError(f"mount.device {self.mount.device!r} is not a key of [devices]")
        if self.devices[self.mount.device].kind != "mount":
            raise ValueError(f"mount.device {self.mount.device!r} is not a device of kind mount")
        for i, channel in enumerate(self.channels):
            if channel.camera not in self.devices:
                raise ValueError(
                    f"channels[{i}].camera {channel.camera!r} is not a key of [devices]"
                )
            if self.devices[channel.camera].kind != "camera":
                raise ValueError(f"channels[{i}].camera {channel.camera!r} is not a device of "
                                 "kind camera")
            wheel = channel.filter_wheel
            if wheel is not None and self.devices.get(wheel, None) is None:
                raise ValueError(f"channels[{i}].filter_wheel {wheel!r} is not a key of "
                                 "[devices]")
            if wheel is not None and self.devices[wheel].kind != "filterwheel":
                raise ValueError(f"channels[{i}].filter_wheel {wheel!r} is not a device of "
                                 "kind filterwheel")
        check_device_references(self)
        detectors = [c.detector for c in self.channels]
        if len(set(detectors)) != len(detectors):
            raise ValueError("channels: two channels have the same detector name")
        names = [c.name for c in self.channels]
        if len(set(names)) != len(names):
            raise ValueError("channels: two channels have the same name")
        check_flat_filters(self.channels, self.majordome.calibrations)
        return self

    def plc_address(self) -> tuple[str, int]:
        """Host and port of the unit's PLC (the original's 127.0.0.1:5003 when none is
        configured)."""
        plcs = self.devices_of_kind("plc")
        address = next(iter(plcs.values())).address if plcs else "127.0.0.1:5003"
        host, port = address.rsplit(":", 1)
        return host, int(port)

    def devices_of_kind(self, kind: str) -> dict[str, Device]:
        return {name: d for name, d in self.devices.items() if d.kind == kind}

    def channel(self, name: str) -> Channel:
        for channel in self.channels:
            if name in (channel.name, channel.detector, channel.camera):
                return channel
        known = ", ".join(c.name for c in self.channels)
        raise KeyError(f"no channel '{name}' (channels: {known})")

    def filters_by_detector(self) -> dict[str, list[str]]:
        """What request validation needs: each detector with the filters it can use."""
        return {c.detector: list(c.filters) for c in self.channels}

    def readout_by_detector(self) -> dict[str, float]:
        """Each detector's readout time (seconds), for a sequence's least duration."""
        return {c.detector: c.readout_time for c in self.channels}
