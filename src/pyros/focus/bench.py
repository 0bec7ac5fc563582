"""``pyros bench focus``: autofocus against the truth, on the simulator. Each trial sets
the tube at another temperature, so best focus has moved from where the focuser waits;
the autofocus must land within the depth of focus, in at most ``max_exposures`` frames.
Runs in this process on a private data directory (pyros.pointing.bench.private_run)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from pyros.config.pointing import SimulatedFocus
from pyros.focus.sweep import autofocus
from pyros.pointing.bench import private_run
from pyros.simulators.thread import unit_on_free_ports


def run_focus_bench(trials: int = 5, progress: Callable[[str], None] = lambda line: None
                    ) -> dict:
    base = unit_on_free_ports()
    rows = []
    with private_run() as start:
        for trial in range(trials):
            temperature = 4.0 + 12.0 * trial / max(trials - 1, 1)  # 4 to 16 C
            optics = SimulatedFocus(best_position=25_000, reference_temperature=10.0,
                                    steps_per_degree=-40.0, blur_per_step=0.01,
                                    temperature=temperature)
            unit = base.model_copy(update={"focus": base.focus.model_copy(
                update={"simulated": optics})})
            devices = start(unit)
            true_best = 25_000 - 40.0 * (temperature - 10.0)
            began = time.perf_counter()
            outcome = autofocus(unit, devices, Path(os.environ["PYROS_HOME"]) / str(trial))
            seconds = time.perf_counter() - began
            error = None if outcome.position is None else outcome.position - true_best
            rows.append({"temperature": temperature, "true_best": true_best,
                         "found": outcome.position, "error_steps": error,
                         "exposures": outcome.exposures,
                         "fwhm_at_best": outcome.confirmed_fwhm, "seconds": round(seconds, 1),
                         "within_depth_of_focus": error is not None
                         and abs(error) <= unit.focus.depth_of_focus})
            progress(f"T {temperature:.1f} C: best {true_best:.0f}, found {outcome.position} "
                     f"in {outcome.exposures} frames")
    errors = [abs(r["error_steps"]) for r in rows if r["error_steps"] is not None]
    return {"trials": rows, "depth_of_focus": base.focus.depth_of_focus,
            "max_error_steps": max(errors) if errors else None,
            "max_exposures": max(r["exposures"] for r in rows),
            "all_within_depth_of_focus": all(r["within_depth_of_focus"] for r in rows)}
