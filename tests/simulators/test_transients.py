"""The running simulator's transients: the registry file, ``pyros sim transient``,
inject_afterglow, and the simulated camera showing them (with its truth) in its frames."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from pyros.cli.main import cli
from pyros.clock import SimulatedClock
from pyros.config.loader import load_config
from pyros.majordome.fits_headers import add_headers
from pyros.simulators import transients
from pyros.simulators.frames import write_frame
from pyros.simulators.models import CameraModel
from pyros.simulators.transients import (
    Transient,
    clear_transients,
    inject_afterglow,
    register_transient,
    registered_transients,
    registry_path,
)
from pyros.simulators.truth import read_truth

EXAMPLE = Path(__file__).parents[2] / "src/pyros/config/example_unit.toml"
T0 = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PYROS_HOME", str(tmp_path))
    monkeypatch.delenv("PYROS_CONFIG", raising=False)
    for name in ("PYROS_CLOCK_START", "PYROS_CLOCK_EPOCH", "PYROS_CLOCK_SPEED"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_the_registry_keeps_what_is_registered(home: Path):
    assert registered_transients() == ()
    first = Transient(ra=10.0, dec=-5.0, magnitude=15.5, t0=T0, decay=1.3)
    second = Transient(ra=359.5, dec=89.0, magnitude=18.0, t0=T0 + timedelta(hours=1),
                       decay=0.0, reference=30.0)
    register_transient(first)
    register_transient(second)
    assert registered_transients() == (first, second)
    assert registry_path() == home / "run" / "sim-transients.json"
    assert [p.name for p in registry_path().parent.iterdir() if ".part" in p.name] == []
    assert clear_transients() == 2 and registered_transients() == ()


def test_a_corrupt_registry_is_ignored_with_a_warning(home: Path,
                                                      caplog: pytest.LogCaptureFixture):
    path = registry_path()
    path.parent.mkdir(parents=True)
    for text in ("{not json", "[]", '{"transients": 3}'):
        path.write_text(text)
        with caplog.at_level(logging.WARNING, "pyros.simulators"):
            assert registered_transients() == ()
        assert "corrupt" in caplog.text
        caplog.clear()
    good = Transient(ra=1.0, dec=2.0, magnitude=15.0, t0=T0).to_json()
    path.write_text(json.dumps({"transients": [good, {"ra": "x"}, good | {"dec": 95.0}]}))
    with caplog.at_level(logging.WARNING, "pyros.simulators"):
        assert len(registered_transients()) == 1
    assert caplog.text.count("ignored") == 2
    register_transient(Transient(ra=3.0, dec=4.0, magnitude=16.0, t0=T0))  # repairs it
    assert len(registered_transients()) == 2


def test_inject_afterglow_registers_a_default_afterglow(home: Path):
    made = inject_afterglow(370.0, 20.0, T0)
    assert registered_transients() == (made,)
    assert (made.ra, made.magnitude, made.decay) == (
        10.0, transients.DEFAULT_AFTERGLOW_MAGNITUDE, transients.DEFAULT_AFTERGLOW_DECAY)
    with pytest.raises(ValueError, match="dec"):
        inject_afterglow(10.0, 100.0, T0)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["sim", "transient", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_the_cli_registers_lists_and_clears(home: Path):
    assert run("--list") == (0, "no transient registered\n")
    code, output = run("--ra", "40.5", "--dec", "-12.25", "--mag", "16",
                       "--t0", "2026-11-22T06:00:00")
    assert code == 0 and "ra 40.50000 dec -12.25000" in output
    code, output = run("--ra", "41", "--dec", "0", "--mag", "17.5", "--decay", "0.7",
                       "--t0", "2026-11-22T08:00:00+02:00")
    assert code == 0
    assert registered_transients() == (
        Transient(ra=40.5, dec=-12.25, magnitude=16.0, t0=T0, decay=1.0),
        Transient(ra=41.0, dec=0.0, magnitude=17.5, t0=T0, decay=0.7))
    code, output = run("--list")
    assert code == 0 and len(output.splitlines()) == 2 and "decay 0.7" in output
    assert run("--clear") == (0, "cleared 2 transient(s)\n")
    assert registered_transients() == ()


def test_the_cli_t0_defaults_to_the_run_clock(home: Path, monkeypatch: pytest.MonkeyPatch):
    from pyros import clock

    monkeypatch.setattr(clock, "now", lambda: T0)
    assert run("--ra", "1", "--dec", "2", "--mag", "15")[0] == 0
    assert registered_transients()[0].t0 == T0


@pytest.mark.parametrize(("args", "message"), [
    (["--ra", "abc", "--dec", "1", "--mag", "15"], "--ra 'abc' is not a number"),
    (["--ra", "400", "--dec", "1", "--mag", "15"], "--ra 400 outside 0..360"),
    (["--ra", "10", "--dec", "-91", "--mag", "15"], "--dec -91 outside -90..90"),
    (["--ra", "10", "--dec", "1", "--mag", "nan"], "--mag nan outside"),
    (["--ra", "10", "--mag", "15"], "--dec is required"),
    (["--ra", "10", "--dec", "1", "--mag", "15", "--decay", "x"], "--decay 'x'"),
    (["--ra", "10", "--dec", "1", "--mag", "15", "--t0", "yesterday"], "not an ISO 8601"),
    (["--ra", "10", "--dec", "1", "--mag", "15", "--list"], "one at a time"),
    (["--clear", "--list"], "one at a time"),
])
def test_the_cli_refuses_bad_input(home: Path, args: list[str], message: str):
    code, output = run(*args)
    assert code == 1 and message in output, output
    assert registered_transients() == ()


def test_the_simulated_camera_shows_registered_transients_and_its_truth(home: Path):
    """What the running simulator writes: a LIGHT frame holding the registered afterglow
    and its TRUTH; the majordome's header update leaves both in place."""
    unit = load_config(EXAMPLE)
    channel = unit.channels[0]
    night = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    camera = CameraModel(channel, SimulatedClock(night))
    pointing = {"ra": 40.0, "dec": 30.0}
    inject_afterglow(40.0, 30.0 + 30.0 / 3600.0, night - timedelta(minutes=5), 14.0, 1.0)
    inject_afterglow(200.0, -30.0, night - timedelta(minutes=5))  # elsewhere in the sky
    request = {"seconds": 10.0, "path": str(home / "light.fits"), "frame_type": "LIGHT",
               "binning": 2, "region": {"x": 512, "y": 512, "width": 1024, "height": 1024}}
    path = write_frame(unit, camera, pointing, request)
    truth = read_truth(path)
    assert truth is not None and len(truth.transients) == 1 and len(truth.stars) > 5
    assert truth.transients.y[0] == pytest.approx((1023.5 - 512 - 0.5) / 2 + 30 / 0.76,
                                                  abs=0.05)
    add_headers(path, {"OBSERVER": "test"})
    assert read_truth(path) is not None
    bias = write_frame(unit, camera, pointing, request | {"frame_type": "BIAS",
                                                          "path": str(home / "bias.fits")})
    assert read_truth(bias) is None
