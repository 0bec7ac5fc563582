"""The same night planned by astroplan's ``PriorityScheduler``: the reference the benchmark
compares the planner with, since it is the scheduler astronomers already know.

astroplan is a benchmark extra (``pip install pyros[bench]``), never a run-time
dependency: :func:`astroplan_missing` says why it cannot run rather than failing, and
nothing here is imported by the planner.

How a :class:`Problem` is translated, and where the translation is not exact:

* one ``ObservingBlock`` per sequence, its priority ``11 − priority``: astroplan
  schedules the *lowest* number first, PyROS ranks 10 highest;
* the night is the site's dark interval (sun below ``night_sun_altitude``), the global
  constraints ``AtNightConstraint`` and, when the site has one, ``AltitudeConstraint``;
  each sequence's airmass limit, altitude floor, moon distance and window become its
  block's constraints (an airmass limit shared by every sequence is given once, as a
  global constraint: astroplan evaluates block constraints one block at a time, which
  is most of its run time). The horizon profile, the mount's hour-angle limit, quotas
  and fixed entries have no astroplan counterpart and are left out;
* a fixed overhead is exact: every block gets a configuration of its own
  (``{"pointing": id}``) and the ``Transitioner`` a default reconfiguration time equal
  to the overhead, so any two consecutive blocks are separated by it. The unit's slew
  model has no exact counterpart; it becomes astroplan's slew rate (the slower axis)
  plus the settling and filter change as reconfiguration, an approximation;
* astroplan rounds every duration and transition to a multiple of ``time_resolution``
  (durations down, which would shorten sequences): durations are given rounded *up*, so
  that what astroplan reserves always holds the whole sequence, and the placements
  returned have each sequence's true duration.

astroplan checks constraints only on its time grid, inside the block; the benchmark
verifies its plan with the same checks as the planner's and reports what it finds.
"""

from __future__ import annotations

import contextlib
import io
import math
import time
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyros.astro
from pyros.scheduling.problem import Placement, Problem, SequenceToPlan
from pyros.scheduling.sky import night_sky

DEFAULT_TIME_RESOLUTION = 60.0  # seconds: the synthetic durations are whole minutes


def astroplan_missing() -> str | None:
    """Why the reference cannot run here (None when it can)."""
    try:
        import astroplan  # noqa: F401
    except ImportError as exc:
        return (f"astroplan is not installed ({exc}); install the benchmark extra: "
                "pip install 'pyros[bench]'")
    return None


@dataclass
class ReferencePlan:
    placements: list[Placement]
    elapsed: float  # seconds, astroplan's constraint evaluation included
    time_resolution: float
    unscheduled: int
    failed_insertions: int = 0  # astroplan's own "Failed to insert" complaints


def astroplan_plan(problem: Problem, *,
                   time_resolution: float = DEFAULT_TIME_RESOLUTION) -> ReferencePlan:
    from astropy import units as u
    from astropy.utils import iers
    from astropy.utils.exceptions import AstropyWarning

    iers.conf.auto_download = False  # pyros.astro did it; astroplan must not undo it
    with warnings.catch_warnings():
        # Circumpolar targets, extrapolated Earth orientation and astroplan's advice to
        # download a Bulletin A: none of them changes the comparison.
        warnings.simplefilter("ignore", AstropyWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        from astroplan import (
            AltitudeConstraint,
            AtNightConstraint,
            FixedTarget,
            Observer,
            ObservingBlock,
            PriorityScheduler,
            Schedule,
            Transitioner,
        )
        from astropy.time import Time

        began = time.perf_counter()
        site = problem.site
        sky = night_sky(site, problem.night)
        dark_start, dark_end = sky.dark_seconds
        if problem.not_before is not None:
            dark_start = max(dark_start, sky.seconds_of(problem.not_before))
        start, end = math.ceil(dark_start), math.floor(dark_end)
        if end - start <= 0 or not problem.sequences:
            return ReferencePlan([], time.perf_counter() - began, time_resolution,
                                 len(problem.sequences))
        observer = Observer(location=pyros.astro.location(site.latitude, site.longitude,
                                                          site.elevation))
        constraints = [AtNightConstraint(max_solar_altitude=site.night_sun_altitude * u.deg)]
        if site.min_altitude > 0:
            constraints.append(AltitudeConstraint(min=site.min_altitude * u.deg))
        limits = {s.max_airmass for s in problem.sequences}
        shared_airmass = limits.pop() if len(limits) == 1 else None
        if shared_airmass is not None:
            constraints.append(_airmass(shared_airmass))
        resolution = time_resolution * u.s
        blocks = []
        for sequence in problem.sequences:
            reserved = math.ceil(sequence.duration / time_resolution) * time_resolution
            blocks.append(ObservingBlock(
                _target(FixedTarget, sequence),
                reserved * u.s, 11 - sequence.priority,
                configuration={"pointing": sequence.id},
                constraints=_block_constraints(sequence, shared_airmass is not None) or None,
                name=sequence.id))
        overheads = problem.overheads
        if overheads.fixed is not None:
            transitioner = Transitioner(
                slew_rate=None,
                instrument_reconfig_times={"pointing": {"default": overheads.fixed * u.s}})
        else:
            transitioner = Transitioner(
                slew_rate=min(overheads.slew_rate_ra, overheads.slew_rate_dec) * u.deg / u.s,
                instrument_reconfig_times={"pointing": {"default": overheads.least * u.s}})
        scheduler = PriorityScheduler(constraints=constraints, observer=observer,
                                      transitioner=transitioner, time_resolution=resolution)
        schedule = Schedule(Time(sky.at(start)), Time(sky.at(end)))
        # astroplan prints (to standard output, which --json needs clean) each block it
        # chose a start for but could not fit; such a block is just not scheduled.
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            scheduler(blocks, schedule)
        by_id = {s.id: s for s in problem.sequences}
        placements = []
        for block in schedule.observing_blocks:
            begin = _whole_second(block.start_time.to_datetime(timezone=UTC))
            placements.append(Placement(block.name, begin, begin + timedelta(
                seconds=by_id[block.name].duration)))
    placements.sort(key=lambda p: p.start)
    return ReferencePlan(placements, time.perf_counter() - began, time_resolution,
                         len(problem.sequences) - len(placements),
                         printed.getvalue().count("Failed to insert"))


def _target(fixed_target, sequence: SequenceToPlan):
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    return fixed_target(SkyCoord(ra=sequence.ra * u.deg, dec=sequence.dec * u.deg),
                        name=sequence.id)


def _airmass(limit: float | None):
    from astroplan import AirmassConstraint

    return AirmassConstraint(max=limit) if limit is not None else None


def _block_constraints(sequence: SequenceToPlan, airmass_is_global: bool) -> list:
    from astroplan import AltitudeConstraint, MoonSeparationConstraint, TimeConstraint
    from astropy import units as u
    from astropy.time import Time

    constraints = []
    if sequence.max_airmass is not None and not airmass_is_global:
        constraints.append(_airmass(sequence.max_airmass))
    if sequence.min_altitude is not None:
        constraints.append(AltitudeConstraint(min=sequence.min_altitude * u.deg))
    if sequence.min_moon_separation:
        constraints.append(MoonSeparationConstraint(min=sequence.min_moon_separation * u.deg))
    if sequence.window is not None:
        constraints.append(TimeConstraint(Time(sequence.window[0]), Time(sequence.window[1])))
    return constraints


def _whole_second(moment: datetime) -> datetime:
    """astroplan's grid is in Julian days: its instants are whole seconds (the schedule
    starts on one) give or take tens of microseconds of rounding."""
    return (moment + timedelta(microseconds=500_000)).replace(microsecond=0)
