"""``pyros bench alpaca``: what PyROS's alpaca backend costs per operation, against the
same operation done directly, in the same run, on the same server.

Three ways of doing each operation, one after the other, ``repeats`` times each:

- **pyros**: the device interface (what the agents call);
- **httpx**: the same HTTP requests written by hand with httpx, decoded the least a
  caller could (the floor: the server and the loopback);
- **alpyca**: the ASCOM Initiative's client library, as its documentation shows it
  (one property per member; skipped when alpyca is not installed: ``pip install
  alpyca``).

The ratio pyros/httpx is PyROS's own overhead. Against our simulator by default (it
answers in-process: a real server's latency would shrink every ratio toward 1); or
against any Alpaca server whose device 0 of each type can be used (``address``).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from pyros.config.schema import Site
from pyros.devices.alpaca.accessories import AlpacaFilterWheel, AlpacaFocuser
from pyros.devices.alpaca.camera import AlpacaCamera
from pyros.devices.alpaca.client import CLIENT_ID, AlpacaServer, next_transaction
from pyros.devices.alpaca.devices import AlpacaMount
from pyros.devices.alpaca.images import IMAGEBYTES, decode_imagebytes
from pyros.devices.alpaca.weather import AlpacaObservingConditions
from pyros.devices.interfaces import MountCapabilities
from pyros.simulators.alpaca.common import SimClock
from pyros.simulators.alpaca.motion import SimFilterWheel, SimFocuser, SimTelescope
from pyros.simulators.alpaca.sensors import SimCamera, SimObservingConditions
from pyros.simulators.alpaca.server import AlpacaSimulator


@dataclass
class Timing:
    operation: str
    way: str
    repeats: int
    p50_ms: float
    mean_ms: float


@dataclass
class AlpacaBenchReport:
    server: str
    sensor: tuple[int, int]
    timings: list[Timing] = field(default_factory=list)

    def ratios(self) -> dict[str, dict[str, float]]:
        """Per operation: p50 of pyros over p50 of each other way."""
        by = {(t.operation, t.way): t.p50_ms for t in self.timings}
        out: dict[str, dict[str, float]] = {}
        for (operation, way), p50 in by.items():
            if way != "pyros" and (operation, "pyros") in by and p50 > 0:
                out.setdefault(operation, {})[f"pyros/{way}"] = by[(operation, "pyros")] / p50
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"server": self.server, "sensor": list(self.sensor),
                "timings": [asdict(t) for t in self.timings], "ratios": self.ratios()}


def _time(action: Callable[[], object], repeats: int) -> tuple[float, float]:
    action()  # warm: connections opened, drivers connected
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000.0)
    return statistics.median(samples), statistics.fmean(samples)


class _Direct:
    """The hand-written baseline: one httpx client, the same requests as PyROS."""

    def __init__(self, address: str) -> None:
        self.http = httpx.Client(base_url=f"http://{address}", trust_env=False)

    def _ids(self) -> dict[str, int]:
        return {"ClientID": CLIENT_ID, "ClientTransactionID": next_transaction()}

    def get(self, device: str, member: str, **headers: str) -> httpx.Response:
        return self.http.get(f"/api/v1/{device}/0/{member}", params=self._ids(),
                             headers=headers)

    def value(self, device: str, member: str) -> Any:
        return self.get(device, member).json()["Value"]

    def put(self, device: str, member: str, **params: Any) -> Any:
        return self.http.put(f"/api/v1/{device}/0/{member}", data={**params, **self._ids()})

    def image(self) -> object:
        return decode_imagebytes(self.get("camera", "imagearray", accept=IMAGEBYTES).content)


def _alpyca(address: str) -> dict[str, Any] | None:
    try:
        from alpaca.camera import Camera
        from alpaca.filterwheel import FilterWheel
        from alpaca.focuser import Focuser
        from alpaca.observingconditions import ObservingConditions
        from alpaca.telescope import Telescope
    except ImportError:
        return None
    devices = {"telescope": Telescope(address, 0), "camera": Camera(address, 0),
               "filterwheel": FilterWheel(address, 0), "focuser": Focuser(address, 0),
               "observingconditions": ObservingConditions(address, 0)}
    for device in devices.values():
        device.Connected = True
    return devices


def _operations(address: str, site: Site, image: Path) -> dict[str, dict[str, Callable]]:
    server = AlpacaServer(address)
    mount = AlpacaMount("mount", server.device("telescope", 0, "mount"), site,
                        MountCapabilities(5.0, 5.0, 0.0, 0.0, 12.0))
    camera = AlpacaCamera("camera", server.device("camera", 0, "camera"), readout_time=1.0)
    wheel = AlpacaFilterWheel("wheel", server.device("filterwheel", 0, "wheel"))
    focuser = AlpacaFocuser("focuser", server.device("focuser", 0, "focuser"))
    weather = AlpacaObservingConditions("weather",
                                        server.device("observingconditions", 0, "weather"))
    for device in (mount, camera, wheel, focuser, weather):
        device.connect()
    camera.expose(0.001, image)  # an image to download
    direct = _Direct(address)
    conditions = tuple(r.name for r in weather.status().readings)
    operations: dict[str, dict[str, Callable]] = {
        "focuser status": {
            "pyros": focuser.status,
            "httpx": lambda: direct.value("focuser", "devicestate")},
        "filter wheel status": {
            "pyros": wheel.status,
            "httpx": lambda: direct.value("filterwheel", "devicestate")},
        "mount status (ICRS, alt/az)": {
            "pyros": mount.status,
            "httpx": lambda: direct.value("telescope", "devicestate")},
        "weather status": {
            "pyros": weather.status,
            "httpx": lambda: direct.value("observingconditions", "devicestate")},
        "filter change order (no wait)": {
            "pyros": lambda: wheel.set_filter(wheel.filters[0], wait=False),
            "httpx": lambda: direct.put("filterwheel", "position", Position=0)},
        "image download (ImageBytes)": {
            "pyros": lambda: camera.link.image(),
            "httpx": direct.image},
        "exposure 1 ms, to a FITS file": {
            "pyros": lambda: camera.expose(0.001, image)},
    }
    alpyca = _alpyca(address)
    if alpyca is not None:
        operations["focuser status"]["alpyca"] = lambda: (
            alpyca["focuser"].Position, alpyca["focuser"].IsMoving)
        operations["filter wheel status"]["alpyca"] = lambda: alpyca["filterwheel"].Position
        operations["mount status (ICRS, alt/az)"]["alpyca"] = lambda: (
            alpyca["telescope"].RightAscension, alpyca["telescope"].Declination,
            alpyca["telescope"].Slewing, alpyca["telescope"].Tracking,
            alpyca["telescope"].AtPark)
        operations["weather status"]["alpyca"] = lambda: [
            getattr(alpyca["observingconditions"], name) for name in conditions]
        operations["filter change order (no wait)"]["alpyca"] = lambda: setattr(
            alpyca["filterwheel"], "Position", 0)
        operations["image download (ImageBytes)"]["alpyca"] = lambda: \
            alpyca["camera"].ImageArrayRaw
    return operations


def run_alpaca_bench(repeats: int = 200, sensor: tuple[int, int] = (1024, 1024),
                     address: str | None = None, site: Site | None = None,
                     progress: Callable[[str], None] = lambda _: None) -> AlpacaBenchReport:
    """Every operation, each way, ``repeats`` times: against a simulator of our own on a
    free loopback port (``sensor`` pixels), or the server at ``address``."""
    from pyros.ports import free_ports

    site = site or Site(name="bench", latitude=31.0, longitude=-115.5, elevation=2800.0)
    simulator = None
    if address is None:
        clock = SimClock(1000.0)  # motions and exposures end at once: requests are timed
        simulator = AlpacaSimulator(port=free_ports(1)[0], devices=[
            SimTelescope("mount", clock), SimCamera("camera", clock, *sensor),
            SimFilterWheel("wheel", clock, ["L", "R", "G", "B"]), SimFocuser("focuser", clock),
            SimObservingConditions("weather", clock)]).start()
        address = simulator.address
    report = AlpacaBenchReport(address, sensor)
    try:
        with tempfile.TemporaryDirectory() as directory:
            operations = _operations(address, site, Path(directory) / "bench.fits")
            for operation, ways in operations.items():
                for way, action in ways.items():
                    count = max(repeats // 10, 5) if "image" in operation or \
                        "exposure" in operation else repeats
                    p50, mean = _time(action, count)
                    report.timings.append(Timing(operation, way, count, p50, mean))
                    progress(f"{operation:<32} {way:<7} p50 {p50:8.3f} ms  mean {mean:8.3f} ms")
    finally:
        if simulator is not None:
            simulator.stop()
    return report

