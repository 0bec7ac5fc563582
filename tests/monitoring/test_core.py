"""The monitoring core without Django: synthesis, fallback, staleness, hostile values, and
the safety decision with its hysteresis and delay, over the guide's rain scenario."""

import json
import math
from datetime import UTC, datetime, timedelta

import pytest

from pyros import paths
from pyros.config.loader import parse_config
from pyros.monitoring.monitor import Monitor
from pyros.monitoring.safety import GlobalStatus
from pyros.plc.document import PlcFrameError, default_document, parse_frame_lenient
from pyros.plc.scenario import ScenarioPlayer, builtin_scenario

T0 = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)


def unit(**safety):
    text = paths.EXAMPLE_CONFIG.read_text()
    for key, value in safety.items():
        text = text.replace(f"\n{key} = ", f"\n{key} = {value}  # was ")
    return parse_config(text)


class FakeClient:
    """Stands for the PLC: the monitor only needs read_status and last_good."""

    def __init__(self) -> None:
        self.last_good = None


def monitor(*, history: bool = True, **safety) -> Monitor:
    """A monitor in the middle of a night whose history says the site was safe (as the
    agent resumes from a recent stored decision); ``history=False``: a fresh one, with
    no earlier readings."""
    watcher = Monitor(unit(**safety), client=FakeClient())
    if history:
        watcher.evaluator.resume_safe()
    return watcher


def document(now: datetime, changes: dict | None = None):
    doc = default_document().stamped(now)
    for (device, name), value in (changes or {}).items():
        doc = doc.with_value(device, name, value)
    return doc


def test_a_calm_night_is_safe_and_clear():
    obs = monitor().observe(document(T0), T0)
    assert obs.decision.safe and obs.decision.status == GlobalStatus.OK
    assert obs.decision.conditions.sky == "clear"  # -15.67 sky, 12.12 ambient
    values = obs.synthesis.values
    assert values["rain_rate"].value == 0.0 and values["rain_rate"].source == "WXT520.RainRate"
    assert values["rain_detected"].value is False  # DRD11 digital 1 = dry
    assert values["plc_mode"].value == "auto" and values["mains_power"].value is True


def test_with_no_history_safety_is_unknown_until_safe_delay_of_good_readings():
    """A fresh database: nothing says the weather was good for safe_delay before the
    first reading, so the site is not safe at it (NO_DATA), and is only after
    safe_delay of good readings, as after rain."""
    watcher = monitor(history=False, safe_delay=60.0)
    first = watcher.observe(document(T0), T0).decision
    assert not first.safe and first.status == GlobalStatus.NO_DATA
    assert "good again for 0 s, safe after 60 s" in first.reasons[0]
    assert "no earlier readings" in first.reasons[0]
    seen = {}
    for seconds in (30, 59, 60, 65):
        now = T0 + timedelta(seconds=seconds)
        seen[seconds] = watcher.observe(document(now), now).decision
    assert not seen[30].safe and not seen[59].safe
    assert seen[60].safe and seen[60].status == GlobalStatus.OK and seen[65].safe


def test_with_no_history_a_bad_reading_restarts_the_wait():
    watcher = monitor(history=False, safe_delay=60.0)
    watcher.observe(document(T0), T0)
    rain = T0 + timedelta(seconds=50)
    wet = watcher.observe(document(rain, {("WXT520", "RainRate"): 3.0}), rain).decision
    assert not wet.safe and GlobalStatus.RAINING in wet.active
    decisions = {}
    for seconds in (100, 159, 160):  # dry from 100 s
        now = T0 + timedelta(seconds=seconds)
        decisions[seconds] = watcher.observe(document(now), now).decision
    assert not decisions[100].safe and not decisions[159].safe
    assert decisions[159].status == GlobalStatus.RAINING  # the no-history wait is over
    assert decisions[160].safe


def test_the_guides_rain_scenario_with_its_delay():
    """Rain 12 mm/h on both sensors from iteration 3 to 7: RAINING from the first rainy
    frame, OK only once dry for safe_delay (here 20 s, one frame every 5 s)."""
    player = ScenarioPlayer(default_document(), builtin_scenario("rain"))
    watcher = monitor(safe_delay=20.0)
    statuses = []
    for iteration in range(1, 15):
        now = T0 + timedelta(seconds=5 * iteration)
        doc = player.document_at(iteration, 0.0).stamped(now)
        statuses.append(watcher.observe(doc, now).decision.status)
    assert statuses[:2] == [GlobalStatus.OK] * 2
    assert statuses[2:6] == [GlobalStatus.RAINING] * 4  # iterations 3..6
    # Dry from iteration 7 (t=35 s): still RAINING until 20 s of dry weather (t=55 s).
    assert statuses[6:10] == [GlobalStatus.RAINING] * 4
    assert statuses[10:] == [GlobalStatus.OK] * 4


def test_delay_reason_says_how_long():
    watcher = monitor(safe_delay=60.0)
    watcher.observe(document(T0, {("WXT520", "RainRate"): 3.0}), T0)
    for seconds in (10, 20):  # dry from the frame at +10 s
        later = T0 + timedelta(seconds=seconds)
        decision = watcher.observe(document(later), later).decision
    assert not decision.safe and decision.status == GlobalStatus.RAINING
    assert "good again for 10 s, safe after 60 s" in decision.reasons[0]
    assert "rain rate 3 mm/h" in decision.reasons[0]


def test_wind_hysteresis():
    watcher = monitor(safe_delay=0.0)
    wind = ("WXT520", "WindSpeed")
    seen = [watcher.observe(document(T0, {wind: speed}), T0).decision.status
            for speed in (13.0, 15.0, 13.5, 12.0)]
    # 14 m/s limit; once over, good again only under 12.6 m/s.
    assert seen == [GlobalStatus.OK, GlobalStatus.WINDY, GlobalStatus.WINDY, GlobalStatus.OK]


def test_stale_or_missing_data_is_unsafe():
    watcher = monitor()
    old = T0 - timedelta(seconds=120)  # stale_after is 60 s
    decision = watcher.observe(document(old), T0).decision
    assert not decision.safe and decision.status == GlobalStatus.NO_DATA
    assert any("stale" in r for r in decision.reasons)
    nothing = monitor().observe(None, T0, error="PLC at 127.0.0.1:5003: no answer").decision
    assert nothing.status == GlobalStatus.NO_DATA
    assert "no answer" in nothing.reasons[0]


def test_an_invalid_primary_falls_back_to_the_secondary():
    doc = document(T0).with_device_validity("WXT520", False).with_device_validity(
        "VantagePro", True)
    obs = monitor().observe(doc, T0)
    rain = obs.synthesis.values["rain_rate"]
    assert rain.source == "VantagePro.RainRate" and rain.fallback
    assert "WXT520.RainRate: flagged invalid" in rain.reason
    assert obs.decision.safe


@pytest.mark.parametrize(("change", "rejected"), [
    ({("WXT520", "OutsideHumidity"): 150.0}, "150 % is impossible for humidity"),
    ({("SITE", "PlcMode"): "automatic"}, "'automatic' is not one of off, manual, auto"),
])
def test_impossible_values_are_refused_per_sensor(change, rejected):
    obs = monitor().observe(document(T0, change), T0)
    assert any(rejected in r for r in obs.synthesis.rejected)


def test_hostile_frames_are_cut_to_what_is_valid():
    wire = default_document().stamped(T0).to_wire()
    for device in wire[0]["device"]:
        for value in device["values"]:
            if device["name"] in ("WXT520", "VantagePro") and value["name"] == "RainRate":
                value["value"] = math.nan
            if device["name"] == "WXT520" and value["name"] == "WindSpeed":
                value["unit"] = "knots"
    wire[0]["device"] = [d for d in wire[0]["device"] if d["name"] != "DRD11"]
    rejected: list[str] = []
    status = parse_frame_lenient(json.dumps(wire), rejected)
    assert any("'RainRate'" in r and "finite" in r for r in rejected)
    obs = monitor().observe(status, T0, tuple(rejected))
    assert not obs.decision.safe and obs.decision.status == GlobalStatus.NO_DATA
    assert "no valid rain data" in obs.decision.reasons[0]
    wind = obs.synthesis.values["wind_speed"]
    assert wind.fallback is False or "unit 'knots'" in wind.reason
    with pytest.raises(PlcFrameError, match="not JSON"):
        parse_frame_lenient(b'[{"name": "STATUS", "dev', [])


def test_power_and_emergency_take_precedence():
    decision = monitor().observe(document(T0, {
        ("SITE", "MainsPower"): 0, ("SITE", "EmergencyStop"): 1,
        ("WXT520", "RainRate"): 5.0}), T0).decision
    assert decision.status == GlobalStatus.EMERGENCY
    assert decision.active[:3] == (GlobalStatus.EMERGENCY, GlobalStatus.POWER,
                                   GlobalStatus.RAINING)


def test_clouds_are_reported_but_safe():
    decision = monitor().observe(document(T0, {("MLX90614-1", "SkyTemperature"): 5.0}),
                                 T0).decision
    assert decision.safe and decision.status == GlobalStatus.CLOUDY
    assert decision.conditions.sky == "cloudy"


def test_a_restarted_evaluator_still_waits_out_the_delay():
    watcher = monitor(safe_delay=30.0)
    watcher.evaluator.resume(GlobalStatus.RAINING, ("RAINING: rain rate 4 mm/h (limit 0)",))
    first = watcher.observe(document(T0), T0).decision
    assert not first.safe and "was: rain rate 4 mm/h" in first.reasons[0]
    later = T0 + timedelta(seconds=31)
    assert watcher.observe(document(later), later).decision.safe


class FakeStation:
    """An INDI-like weather station, as the device interface gives it."""

    def __init__(self, wind: float | None, fail: bool = False) -> None:
        self.wind, self.fail = wind, fail

    def status(self, timeout: float = 5.0):
        from pyros.devices.errors import DeviceTimeout
        from pyros.devices.interfaces import WeatherReading, WeatherStatus

        if self.fail:
            raise DeviceTimeout("roof-station", "no answer within 3 s")
        return WeatherStatus(True, None, (
            WeatherReading("Weather Simulator", "WEATHER_WIND_SPEED", self.wind, "m/s", True),
        ), T0)


def test_a_weather_station_backs_up_the_plc(simulated_clock):
    from pyros.config.schema import Sensor

    config = unit()
    sensors = [*config.monitoring.sensors,
               Sensor(quantity="wind_speed", device="roof-station",
                      value="WEATHER_WIND_SPEED", unit="m/s", priority=3)]
    config = config.model_copy(update={"monitoring": config.monitoring.model_copy(
        update={"sensors": sensors})})

    class Plc(FakeClient):
        def read_status(self, bypass=None):  # the PLC's wind sensors both flagged invalid
            return document(T0).with_device_validity("WXT520", False)

    simulated_clock.set(T0)
    watcher = Monitor(config, client=Plc(), stations={"roof-station": FakeStation(7.5)})
    wind = watcher.step().synthesis.values["wind_speed"]
    assert (wind.value, wind.source, wind.fallback) == (
        7.5, "roof-station.WEATHER_WIND_SPEED", True)
    silent = Monitor(config, client=Plc(), stations={"roof-station": FakeStation(
        None, fail=True)})
    assert any("roof-station: no answer" in r for r in silent.step().synthesis.rejected)
