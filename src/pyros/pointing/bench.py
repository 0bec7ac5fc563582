"""``pyros bench pointing``: the pointing model against the truth, on the simulator.

The simulated mount is given a known error (TPOINT terms of a fork mount, about 2′
RMS, plus a random error per slew); a dedicated run observes a grid, every frame
rendered where the mount truly points and solved by astrometry.net; the fit is compared
term by term with the truth; then the model is put in force and other fields are
observed through the correction layer: their distance from target is the pointing RMS
after. Runs in this process on a private data directory (nothing of a running PyROS is
touched: its model file, its database)."""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pyros import clock
from pyros.config.pointing import SimulatedPointingError
from pyros.config.schema import UnitConfig
from pyros.devices.factory import UnitDevices, build_devices
from pyros.pointing.active import write_active
from pyros.pointing.fit import fit
from pyros.pointing.grid import sky_grid
from pyros.pointing.run import RunSettings, pointing_misses, pointing_run
from pyros.pointing.terms import MOUNT_TERMS
from pyros.simulators.thread import RunningSimulator, unit_on_free_ports

#: A fork mount's error, of the size a new installation shows (Wallace's TPOINT
#: examples run to a few arcminutes).
TRUTH = {"IH": 95.0, "ID": -70.0, "CH": 40.0, "NP": -25.0, "MA": 60.0, "ME": -80.0,
         "TF": 35.0, "FO": 20.0}
NIGHT = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)  # early night at the example's site
SPEED = 10.0  # a field is analysed in wall time: faster, a long run meets the dawn


@contextmanager
def private_run(speed: float = SPEED) -> Iterator[Callable[[UnitConfig], UnitDevices]]:
    """A data directory of its own and the simulators of ``start(unit)`` (on free ports),
    the process's clock shared with them; all undone at the end."""
    previous_home, previous_clock = os.environ.get("PYROS_HOME"), clock.get_clock()
    started: list[RunningSimulator] = []
    with tempfile.TemporaryDirectory(prefix="pyros-bench-") as home:
        os.environ["PYROS_HOME"] = home

        def start(config: UnitConfig) -> UnitDevices:
            for sim in started:
                sim.stop()
            now = clock.now() if started else NIGHT
            for attempt in range(3):  # a loaded machine may start it late, or a port be taken
                # Fresh ports each time: the last simulator's may not be free again yet.
                config = config.model_copy(update={"devices": unit_on_free_ports().devices})
                try:
                    sim = RunningSimulator(config, [], speed, now)
                    break
                except RuntimeError:
                    if attempt == 2:
                        raise
            started.append(sim)
            clock.set_clock(sim.clock)
            devices = build_devices(config)
            devices.mount.unpark()
            return devices

        try:
            yield start
        finally:
            for sim in started:
                sim.stop()
            clock.set_clock(previous_clock)
            if previous_home is None:
                os.environ.pop("PYROS_HOME", None)
            else:
                os.environ["PYROS_HOME"] = previous_home


def _with_error(unit: UnitConfig, error: SimulatedPointingError,
                corrected: bool) -> UnitConfig:
    model = unit.mount.pointing_model.model_copy(update={"enabled": corrected})
    mount = unit.mount.model_copy(update={"simulated_error": error, "pointing_model": model})
    return unit.model_copy(update={"mount": mount})


@dataclass
class TermReport:
    term: str
    true: float
    fitted: float
    sigma: float

    @property
    def error(self) -> float:
        return self.fitted - self.true

    @property
    def recovered(self) -> bool:
        return abs(self.error) <= 3 * self.sigma and abs(self.error) <= 5.0


def run_pointing_bench(fields: int = 30, checks: int = 10, noise: float = 2.0,
                       progress: Callable[[str], None] = lambda line: None) -> dict:
    error = SimulatedPointingError(terms=TRUTH, noise=noise, seed=11)
    base = unit_on_free_ports()
    settings = RunSettings(fields=fields, exposure=10.0, window=768)
    with private_run() as start:
        unit = _with_error(base, error, corrected=False)
        began = time.perf_counter()
        outcome = pointing_run(unit, start(unit), settings, Path(os.environ["PYROS_HOME"]),
                               progress=progress)
        run_seconds = time.perf_counter() - began
        result = fit(outcome.observations, MOUNT_TERMS["fork"], unit.site.latitude)
        terms = [TermReport(t, TRUTH[t], result.coefficients[t], result.sigmas[t])
                 for t in result.terms]
        write_active(result.model("bench"))
        corrected = _with_error(base, error, corrected=True)
        devices = start(corrected)
        # Another spiral (another count), turned: fields the fit never saw.
        targets = [(alt, (az + 17.0) % 360.0)
                   for alt, az in sky_grid(checks, unit.mount.limits.min_altitude + 5.0)]
        misses = pointing_misses(corrected, devices, targets,
                                 Path(os.environ["PYROS_HOME"]), settings, progress)
    rms_after = math.sqrt(sum(m * m for m in misses) / len(misses)) if misses else None
    return {
        "fields_solved": len(outcome.observations), "fields_lost": len(outcome.failures),
        "run_seconds": round(run_seconds, 1), "noise_arcsec": noise,
        "rms_before_arcsec": round(result.rms_before, 2),
        "rms_fit_residual_arcsec": round(result.rms_after, 2),
        "check_fields": len(misses),
        "rms_after_arcsec": None if rms_after is None else round(rms_after, 2),
        "improvement": None if not rms_after else round(result.rms_before / rms_after, 1),
        "terms": [{"term": t.term, "true": t.true, "fitted": round(t.fitted, 2),
                   "sigma": round(t.sigma, 2), "error": round(t.error, 2),
                   "recovered": t.recovered} for t in terms],
        "all_recovered": all(t.recovered for t in terms),
    }
