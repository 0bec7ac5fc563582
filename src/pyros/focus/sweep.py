"""One autofocus on the unit's devices: frames at ``points`` focuser positions ``step``
apart around where focus is expected, the sweep extended past an edge that is still the
sharpest, a V-curve fitted, the focuser sent to its vertex and one last frame there to
confirm; never more than ``max_exposures`` frames. A fit that fails sends the focuser
back where it was. The telescope must point at stars (the caller's business)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pyros import clock
from pyros.analysis.quicklook import MEASURE, central_window, quick_analysis
from pyros.config.schema import UnitConfig
from pyros.devices.errors import DeviceError
from pyros.devices.factory import UnitDevices
from pyros.devices.interfaces import FrameType
from pyros.focus.vcurve import VCurve, VCurveError, fit_vcurve

log = logging.getLogger(__name__)


class FocusError(Exception):
    """The autofocus cannot start (no focuser, no such channel)."""


@dataclass
class FocusOutcome:
    focuser: str
    channel: str
    started: datetime
    start_position: int
    temperature: float | None
    points: list[tuple[int, float | None]] = field(default_factory=list)  # (steps, FWHM ″)
    curve: VCurve | None = None
    position: int | None = None  # where the focuser was left at the end, when it succeeded
    confirmed_fwhm: float | None = None
    message: str = ""
    ended: datetime | None = None

    @property
    def succeeded(self) -> bool:
        return self.position is not None

    @property
    def exposures(self) -> int:
        return len(self.points) + (self.confirmed_fwhm is not None)


def _sweep(centre: int, step: int, points: int) -> list[int]:
    half = (points - 1) / 2
    return [round(centre + step * (i - half)) for i in range(points)]


def autofocus(unit: UnitConfig, devices: UnitDevices, folder: Path, *,
              around: int | None = None,
              progress: Callable[[str], None] = log.info,
              check: Callable[[], None] = lambda: None) -> FocusOutcome:
    """``check`` is called before each frame: it raises to stop the sweep (the
    majordome's interrupt), and the exception goes through."""
    config = unit.focus
    focusers = devices.focusers
    name = config.focuser or next(iter(focusers), "")
    if name not in focusers:
        raise FocusError(f"no focuser {name!r} among the unit's devices "
                         f"({', '.join(focusers) or 'none'})")
    focuser = focusers[name]
    try:
        channel = unit.channel(config.channel) if config.channel else unit.channels[0]
    except KeyError as exc:
        raise FocusError(str(exc)) from None
    camera = devices.cameras[channel.name]
    status = focuser.status()
    outcome = FocusOutcome(focuser=name, channel=channel.name, started=clock.now(),
                           start_position=status.position, temperature=status.temperature)
    wheel = devices.filter_wheels.get(channel.name)
    if wheel is not None:
        wheel.set_filter(config.filter or channel.filters[0])
    region = central_window(channel, config.window)
    measured: dict[int, float | None] = {}

    def measure(position: int) -> float | None:
        check()
        focuser.move_to(position)
        number = len(outcome.points) + 1
        path = camera.expose(config.exposure, folder / f"focus-{number:02d}.fits",
                             frame_type=FrameType.LIGHT, region=region,
                             object_name=f"focus {position}")
        fwhm = quick_analysis(path, unit.analysis, MEASURE).get("fwhm_arcsec")
        outcome.points.append((position, fwhm))
        measured[position] = fwhm
        progress(f"focus {position}: FWHM {fwhm:.2f}″" if fwhm else
                 f"focus {position}: no star measured")
        return fwhm

    budget = config.max_exposures - 1  # one frame kept to confirm
    try:
        for position in _sweep(around if around is not None else status.position,
                               config.step, config.points):
            measure(position)
        while len(outcome.points) < budget:
            good = sorted((p, f) for p, f in measured.items() if f is not None)
            if len(good) < 3:
                break
            sharpest = min(good, key=lambda pf: pf[1])[0]
            if sharpest == good[0][0]:
                measure(good[0][0] - config.step)
            elif sharpest == good[-1][0]:
                measure(good[-1][0] + config.step)
            else:
                break
        good = [(p, f) for p, f in measured.items() if f is not None]
        outcome.curve = fit_vcurve([p for p, _ in good], [f for _, f in good])
        best = round(outcome.curve.best)
        low, high = min(measured), max(measured)
        if not low <= best <= high:
            raise VCurveError(f"the fitted focus {best} is outside the positions tried "
                              f"({low}..{high})")
        outcome.confirmed_fwhm = measure_confirmation(measure, best, outcome)
        outcome.position = best
        outcome.message = (f"best focus {best} ± {outcome.curve.best_error:.0f} steps, FWHM "
                           f"{outcome.curve.best_fwhm:.2f}″ fitted, "
                           f"{outcome.confirmed_fwhm or float('nan'):.2f}″ measured there")
    except (VCurveError, DeviceError) as exc:
        outcome.message = f"autofocus failed: {exc}"
        try:
            focuser.move_to(outcome.start_position)
        except DeviceError as back:
            outcome.message += f"; the focuser did not go back: {back}"
    outcome.ended = clock.now()
    progress(outcome.message)
    return outcome


def measure_confirmation(measure: Callable[[int], float | None], best: int,
                         outcome: FocusOutcome) -> float | None:
    """The frame at best focus: counted apart from the curve's points."""
    fwhm = measure(best)
    outcome.points.pop()  # not a point of the curve
    return fwhm
