"""A dedicated pointing run on the unit's devices, directly (not through the
majordome): a grid of fields, each slewed to *without* correction, exposed on a central
window and solved; then the fit. The majordome must leave the mount alone meanwhile
(``pyros observatory`` manual mode, or the majordome stopped) and the dome be open.

Each field gives an :class:`Observation`: the mount's own position after the slew
(what its encoders say), the solved centre, the sidereal time at mid-exposure."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from pyros import astro, clock
from pyros.analysis.quicklook import SOLVE, central_window, quick_analysis
from pyros.config.schema import UnitConfig
from pyros.devices.corrected import CorrectedMount
from pyros.devices.errors import DeviceError
from pyros.devices.factory import UnitDevices
from pyros.devices.interfaces import FrameType
from pyros.pointing.fit import Observation
from pyros.pointing.grid import sky_grid

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunSettings:
    fields: int
    channel: str = ""  # empty: the first
    exposure: float = 10.0
    window: int = 1024  # pixels: the central window read


@dataclass
class RunOutcome:
    observations: list[Observation] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # one sentence per field lost
    frames: list[Path] = field(default_factory=list)


def pointing_run(unit: UnitConfig, devices: UnitDevices, settings: RunSettings, folder: Path,
                 progress: Callable[[str], None] = log.info) -> RunOutcome:
    """Observe the grid; a field that fails (slew refused, not solved) is reported and
    the run goes on."""
    channel = unit.channel(settings.channel) if settings.channel else unit.channels[0]
    camera = devices.cameras[channel.name]
    mount = devices.mount.mount if isinstance(devices.mount, CorrectedMount) else devices.mount
    site = unit.site
    where = astro.location(site.latitude, site.longitude, site.elevation)
    # Altitudes and azimuths, turned into RA/Dec at each slew: a long run on a loaded
    # machine would otherwise see its last fields set past the limits.
    grid = sky_grid(settings.fields, unit.mount.limits.min_altitude + 2.0)
    outcome = RunOutcome()
    if mount.status().parked:
        mount.unpark()
    region = central_window(channel, settings.window)
    for number, (alt, az) in enumerate(grid, 1):
        ra, dec = reachable(unit, alt, az)
        name = f"field {number}/{len(grid)} (RA {ra:.3f} Dec {dec:+.3f})"
        try:
            mount.slew(ra, dec, wait=True)
            mount.track(True)
            status = mount.status()
            middle = clock.now() + timedelta(seconds=settings.exposure / 2)
            path = camera.expose(settings.exposure, folder / f"pointing-{number:03d}.fits",
                                 frame_type=FrameType.LIGHT, region=region,
                                 object_name=f"pointing {number}")
        except DeviceError as exc:
            outcome.failures.append(f"{name}: {exc}")
            progress(f"{name}: {exc}")
            continue
        outcome.frames.append(path)
        result = quick_analysis(path, unit.analysis, SOLVE)
        if not result.get("solved"):
            reason = result.get("error") or ", ".join(result.get("flags") or []) or "not solved"
            outcome.failures.append(f"{name}: {reason}")
            progress(f"{name}: {reason}")
            continue
        lst = (astro.hour_angle(0.0, middle, where) * 15.0) % 360.0
        observation = Observation(ra=status.ra, dec=status.dec, solved_ra=result["centre_ra"],
                                  solved_dec=result["centre_dec"], lst=lst)
        outcome.observations.append(observation)
        east, north = observation.offsets()
        progress(f"{name}: offset {east:+.1f}″ HA, {north:+.1f}″ Dec")
    return outcome


def reachable(unit: UnitConfig, alt: float, az: float) -> tuple[float, float]:
    """The ICRS position at (alt, az) now; one the mount cannot reach is refused by the
    slew, which says why."""
    site = unit.site
    where = astro.location(site.latitude, site.longitude, site.elevation)
    return astro.radec_from_altaz(alt, az, clock.now(), where)


def pointing_misses(unit: UnitConfig, devices: UnitDevices, grid: list[tuple[float, float]],
                    folder: Path, settings: RunSettings,
                    progress: Callable[[str], None] = log.info) -> list[float]:
    """Slew (through whatever correction is in force) to each (alt, az) of ``grid`` as
    it is at the slew, solve, and return how far from the target the telescope pointed,
    arcsec on the sky (fields refused or not solved left out, and said)."""
    channel = unit.channel(settings.channel) if settings.channel else unit.channels[0]
    camera = devices.cameras[channel.name]
    region = central_window(channel, settings.window)
    misses = []
    for number, (alt, az) in enumerate(grid, 1):
        ra, dec = reachable(unit, alt, az)
        try:
            devices.mount.slew(ra, dec, wait=True)
            path = camera.expose(settings.exposure, folder / f"check-{number:03d}.fits",
                                 frame_type=FrameType.LIGHT, region=region)
        except DeviceError as exc:
            progress(f"check field {number}: {exc}")
            continue
        found = quick_analysis(path, unit.analysis, SOLVE)
        if not found.get("solved"):
            reason = found.get("error") or found.get("flags")
            progress(f"check field {number}: not solved: {reason}")
            continue
        east = ((found["centre_ra"] - ra + 180.0) % 360.0 - 180.0) * math.cos(
            math.radians(dec))
        misses.append(math.hypot(east, found["centre_dec"] - dec) * 3600.0)
        progress(f"check field {number}: {misses[-1]:.1f}″ from target")
    return misses
