"""The generated weather: reproducible, drifting as a night's does, one shower, and
played by the simulated PLC as its sensors' values."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from pyros.config.schema import Monitoring, Safety
from pyros.monitoring.safety import SafetyEvaluator
from pyros.monitoring.synthesis import synthesize
from pyros.plc import weather
from pyros.plc.document import default_document
from pyros.plc.scenario import ScenarioPlayer, parse_scenario

NIGHT = 14 * 3600.0


def test_the_same_seed_makes_the_same_night_and_another_seed_another():
    assert weather.generate(7, NIGHT) == weather.generate(7, NIGHT)
    assert weather.generate(7, NIGHT) != weather.generate(8, NIGHT)


def test_a_night_cools_grows_humid_towards_dawn_and_has_one_shower():
    for seed in range(20):
        samples = weather.generate(seed, NIGHT)
        shower = weather.shower_of(samples)
        assert shower is not None and 20 * 60 <= shower.duration <= 45 * 60
        assert 0.3 * NIGHT <= shower.start <= 0.65 * NIGHT
        dry = [s for s in samples if s.seconds < shower.start or s.seconds > shower.end + 7200]
        first, last = dry[:6], dry[-6:]
        assert np.mean([s.temperature for s in last]) < np.mean([s.temperature for s in first])
        assert np.mean([s.humidity for s in last]) > np.mean([s.humidity for s in first]) + 10
        assert all(s.humidity < 90 and s.temperature - s.dew_point >= 2.5 for s in dry)
        # It drifts: neighbours are close, the night as a whole varies.
        winds = np.array([s.wind_speed for s in samples])
        assert winds.max() - winds.min() > 3 and winds.max() < 20


def test_clouds_pass_and_the_shower_comes_with_them():
    samples = weather.generate(3, NIGHT)
    covers = [s.cloud_cover for s in samples]
    assert min(covers) < 0.2 and max(covers) > 0.8
    assert all(s.cloud_cover > 0.9 for s in samples if s.raining)


def test_the_simulated_plc_reports_the_weather_and_the_monitoring_decides_on_it():
    samples = weather.generate(5, NIGHT)
    scenario = parse_scenario(weather.to_scenario(samples), "generated")
    player = ScenarioPlayer(default_document(), scenario)
    shower = weather.shower_of(samples)
    evaluator = SafetyEvaluator(Safety(safe_delay=0.0))

    decisions = {}
    for label, seconds in (("before", shower.start - 3600), ("rain", shower.start + 60)):
        sample = min(samples, key=lambda s: abs(s.seconds - seconds))
        document = player.document_at(1, sample.seconds).stamped(datetime.now(UTC))
        assert document.value("WXT520", "OutsideHumidity").value == round(sample.humidity)
        decisions[label] = evaluator.evaluate(
            synthesize(document, Monitoring().sensors, datetime.now(UTC), stale_after=60.0))
    assert decisions["before"].safe
    assert not decisions["rain"].safe and decisions["rain"].status == "RAINING"
