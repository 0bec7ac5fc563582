"""A simulated observatory whose mount has a known pointing error, on free loopback
ports; the test process shares the simulator's clock (the fit needs the sidereal time
the simulator pointed at)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pyros import clock
from pyros.config.pointing import SimulatedPointingError
from pyros.config.schema import UnitConfig
from pyros.devices.factory import UnitDevices, build_devices
from pyros.simulators.thread import RunningSimulator, unit_on_free_ports
from tests.conftest import TEST_NOW

SPEED = 10.0


def unit_with(error: SimulatedPointingError, *, corrected: bool = False,
              **focus: object) -> UnitConfig:
    unit = unit_on_free_ports()
    pointing_model = unit.mount.pointing_model.model_copy(update={"enabled": corrected})
    mount = unit.mount.model_copy(update={"simulated_error": error,
                                          "pointing_model": pointing_model})
    changes: dict[str, object] = {"mount": mount}
    if focus:
        changes["focus"] = unit.focus.model_copy(update=focus)
    return unit.model_copy(update=changes)


@pytest.fixture
def sim_unit(tmp_path, monkeypatch) -> Iterator:
    """``start(unit)``: the simulator of ``unit`` running, its devices, the clock shared."""
    monkeypatch.setenv("PYROS_HOME", str(tmp_path / "home"))
    started: list[RunningSimulator] = []
    previous = clock.get_clock()

    def start(unit: UnitConfig, speed: float = SPEED) -> UnitDevices:
        for attempt in range(3):  # a loaded machine may start it late: fresh ports, again
            try:
                sim = RunningSimulator(unit, [], speed, TEST_NOW)
                break
            except RuntimeError:
                if attempt == 2:
                    raise
                unit = unit.model_copy(update={"devices": unit_on_free_ports().devices})
        started.append(sim)
        clock.set_clock(sim.clock)
        return build_devices(unit)

    yield start
    for sim in started:
        sim.stop()
    clock.set_clock(previous)
