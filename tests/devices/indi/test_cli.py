"""A user's configuration of INDI devices (examples/indi_simulators.toml) driven through
``pyros`` itself, against Debian's simulators: the probe, ``pyros device status``, a
slew and an exposure, each checked against the drivers' own values (indi_getprop); and
the INDI weather station feeding the monitoring.

The indiserver runs in its network namespace (conftest.py); a relay on 127.0.0.1 gives
the configuration its host:port.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from astropy.io import fits

from pyros.config.loader import parse_config
from pyros.config.schema import UnitConfig
from pyros.devices.factory import build_weather_stations
from pyros.devices.indi.devices import eod_to_icrs
from pyros.monitoring.monitor import Monitor
from pyros.plc.client import PlcClient
from pyros.ports import free_port
from tests.devices.indi.conftest import NamespacedIndiserver, TcpRelay
from tests.devices.indi.test_integration import WALL, at_hour_angle, separation, until

EXAMPLE = Path(__file__).parents[3] / "examples" / "indi_simulators.toml"


@pytest.fixture(scope="module")
def relay(indiserver: NamespacedIndiserver) -> Iterator[TcpRelay]:
    for kind in ("mount", "dome", "camera", "wheel", "focuser", "weather", "watchdog"):
        indiserver.device(kind)
    relay = TcpRelay(indiserver.socket)
    yield relay
    relay.close()


def configuration(relay: TcpRelay, tmp_path: Path, edit=lambda text: text) -> Path:
    text = EXAMPLE.read_text().replace('observatory = "127.0.0.1:7624"',
                                       f'observatory = "{relay.address}"')
    # Nobody's PLC: the monitoring reads the weather station alone.
    text = text.replace('address = "127.0.0.1:5003"', f'address = "127.0.0.1:{free_port()}"')
    # The site of the integration tests, where the simulator's sky is up.
    text = text.replace("latitude = 31.0439", "latitude = 45.0").replace(
        "longitude = -115.4637", "longitude = 5.0")
    path = tmp_path / "unit.toml"
    path.write_text(edit(text))
    return path


def pyros(config: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYROS_CONFIG": str(config)}
    done = subprocess.run([sys.executable, "-m", "pyros.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300)
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_the_probe_finds_every_device_and_names_what_is_wrong(
        relay: TcpRelay, tmp_path: Path) -> None:
    good = configuration(relay, tmp_path)
    done = pyros(good, "config", "check", str(good), "--probe")
    for name in ("mount", "dome", "camera", "wheel", "focuser", "weather", "watchdog"):
        assert f"  {name} (" in done.stdout and "NOT FOUND" not in done.stdout
    assert "probe: all 7 INDI devices ready" in done.stdout

    def wrong(text: str) -> str:
        return text.replace('indi_device = "Focuser Simulator"',
                            'indi_device = "Focuser Nowhere"').replace(
            "width = 1280", "width = 2048").replace('"H_Alpha"]', '"V"]')
    bad = configuration(relay, tmp_path, wrong)
    done = pyros(bad, "config", "check", str(bad), "--probe", "--timeout", "3", check=False)
    assert done.returncode == 1
    lines = {line.split(" (")[0].strip(): line for line in done.stdout.splitlines()}
    assert "focuser (focuser): NOT FOUND, 'Focuser Nowhere'" in lines["focuser"]
    assert "the sensor is 1280x1024 pixels, the channel says 2048x1024" in lines["camera"]
    assert "has no filter V" in lines["wheel"]
    assert "ok" in lines["mount"]
    assert "3 of 7 INDI devices not ready: focuser, camera, wheel" in done.stderr


def test_device_status_slew_and_expose_agree_with_the_drivers(
        indiserver: NamespacedIndiserver, relay: TcpRelay, tmp_path: Path) -> None:
    config = configuration(relay, tmp_path)
    status = json.loads(pyros(config, "device", "status", "--json", "--timeout", "15").stdout)
    mount = status["mount"]
    driver = indiserver.getprop("Telescope Simulator.EQUATORIAL_EOD_COORD.*")
    assert mount["connected"] is True
    # The driver's pole (in ICRS), not its placeholder.
    _, dec = eod_to_icrs(float(driver["Telescope Simulator.EQUATORIAL_EOD_COORD.RA"]),
                         float(driver["Telescope Simulator.EQUATORIAL_EOD_COORD.DEC"]),
                         WALL.now())
    assert mount["dec"] == pytest.approx(dec, abs=1 / 3600)
    assert status["dome"]["shutter"] == "CLOSED"
    assert status["weather weather"]["WEATHER_TEMPERATURE"].endswith(" C")

    ra, dec = at_hour_angle(-5.0), 75.0
    pyros(config, "device", "mount", "slew", "--ra", str(ra), "--dec", str(dec))
    after = json.loads(pyros(config, "device", "status", "--json").stdout)["mount"]
    assert separation(after["ra"], after["dec"], ra, dec) < 5 / 3600
    assert after["tracking"] is True

    image = tmp_path / "halpha.fits"
    pyros(config, "device", "camera", "expose", "--channel", "VIS", "--seconds", "0.1",
          "--filter", "H_Alpha", "--binning", "4", "--out", str(image))
    with fits.open(image) as hdus:
        header = hdus[0].header
    slot = indiserver.getprop("Filter Simulator.FILTER_SLOT.FILTER_SLOT_VALUE")
    assert slot["Filter Simulator.FILTER_SLOT.FILTER_SLOT_VALUE"] == "4"
    assert header["FILTER"] == "H_Alpha"
    focus = indiserver.getprop("Focuser Simulator.ABS_FOCUS_POSITION.FOCUS_ABSOLUTE_POSITION")
    assert header["FOCUSPOS"] == round(float(next(iter(focus.values()))))
    assert separation(header["RA"], header["DEC"], ra, dec) < 60 / 3600


def test_the_monitoring_reads_the_weather_station_as_configured(
        indiserver: NamespacedIndiserver, relay: TcpRelay, tmp_path: Path) -> None:
    unit: UnitConfig = parse_config(configuration(relay, tmp_path).read_text())
    host, port = unit.plc_address()
    monitor = Monitor(unit, client=PlcClient(host, port, timeout=0.5),
                      stations=build_weather_stations(unit))

    def weather(temperature: float, rain: float) -> None:
        for setting in (f"Weather Simulator.WEATHER_CONTROL.Temperature={temperature}",
                        f"Weather Simulator.WEATHER_CONTROL.Precip={rain}",
                        "Weather Simulator.WEATHER_REFRESH.REFRESH=On"):
            assert indiserver.run("indi_setprop", setting)["rc"] == 0

    def conditions() -> dict:
        synthesis = monitor.step().synthesis
        return {q: synthesis.get(q) for q in ("temperature", "rain_rate")}

    monitor.stations["weather"].connect(15)
    weather(8.5, 0.0)
    until(lambda: conditions().get("temperature") == 8.5, 15, "8.5 C from the station")
    assert conditions()["rain_rate"] == 0.0
    weather(8.5, 10.0)
    until(lambda: conditions().get("rain_rate") == 10.0, 15, "rain from the station")
    decision = monitor.step().decision
    assert not decision.safe and any("rain" in reason.lower() for reason in decision.reasons)
    weather(8.5, 0.0)
    monitor.stations["weather"].link.client.close()  # type: ignore[attr-defined]
