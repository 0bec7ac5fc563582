"""The majordome's side of the autofocus: its work (pointed high, opposite the sun) run
by the executor on the simulator, the outcome kept for the next decision."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pyros.config.pointing import SimulatedFocus, SimulatedPointingError
from pyros.focus.store import last_focus, save_run
from pyros.majordome.calibrations import focus_work
from pyros.majordome.executor import Executor
from pyros.majordome.work import Outcome, WorkKind
from tests.pointing.conftest import unit_with


@pytest.mark.django_db
def test_the_executor_focuses_and_the_run_is_kept_for_the_next_decision(sim_unit, tmp_path):
    optics = SimulatedFocus(best_position=25_200, temperature=10.0)
    unit = unit_with(SimulatedPointingError(), simulated=optics, exposure=5.0, window=512)
    devices = sim_unit(unit)
    devices.mount.unpark()
    work = focus_work(unit, "focus-2026-11-21-10", "start of the night", sun_az=250.0)
    assert work.kind == WorkKind.FOCUS and work.pointing is not None
    executor = Executor(unit, devices, image_dir=lambda w, c: tmp_path / w.key)
    outcome = executor.run(work)
    assert outcome.outcome == Outcome.EXECUTED, outcome.reason
    assert outcome.images == [] and "best focus" in outcome.reason
    found = outcome.focus
    assert abs(found.position - 25_200) <= unit.focus.depth_of_focus
    record = save_run(found, work.name)
    assert record.succeeded and record.temperature == 10.0 and record.exposures <= 10
    assert last_focus(found.started - timedelta(hours=1)).tonight
    assert not last_focus(found.started + timedelta(hours=1)).tonight


def test_a_unit_without_focuser_fails_the_work_with_a_reason(sim_unit, tmp_path):
    unit = unit_with(SimulatedPointingError())
    devices = sim_unit(unit)
    devices.focusers.clear()
    devices.mount.unpark()
    executor = Executor(unit, devices, image_dir=lambda w, c: tmp_path / w.key)
    outcome = executor.run(focus_work(unit, "focus-x", "by hand", sun_az=250.0))
    assert outcome.outcome == Outcome.FAILED and "no focuser" in outcome.reason
