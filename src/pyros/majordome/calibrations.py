"""The night's calibrations as work for the executor: bias and darks (dome closed, no
pointing) and twilight flats (on the flat spot opposite the sun), built from the unit's
channels and its ``[majordome.calibrations]`` section.

Plain builders: the majordome decides *when* (the sun's altitude, the state of the
night); these only say *what*. No Django, no devices.
"""

from __future__ import annotations

from datetime import date

from pyros import astro, clock
from pyros.config.schema import Calibrations, Channel, UnitConfig, check_flat_filters
from pyros.devices.interfaces import FrameType
from pyros.majordome.flats import FlatAim
from pyros.majordome.work import ChannelWork, Exposures, Pointing, SequenceWork, WorkKind

WHEN = ("dusk", "dawn")
# The flat spot: high enough to avoid the horizon's gradient, away from the zenith where
# the sky is least uniform, opposite the sun (Chromey & Hasselbacher 1996).
FLAT_ALTITUDE = 75.0
FLAT_AZIMUTH_FROM_SUN = 180.0


def bias_and_darks(unit: UnitConfig, night: date, when: str) -> SequenceWork | None:
    """Every channel: the bias frames, then the darks of each configured length. None
    when there is nothing to take, or the configuration skips this end of the night."""
    calibrations = _calibrations_for(unit, when)
    if calibrations is None:
        return None
    channels = tuple(ChannelWork(channel=c.name, plans=_bias_and_dark_plans(calibrations))
                     for c in unit.channels)
    return _work(calibration_key(night, when, "darks"), f"{when} bias and darks",
                 "bias and darks", None, channels, needs_open_dome=False)


def twilight_flats(unit: UnitConfig, night: date, when: str, sun_alt: float,
                   sun_az: float) -> SequenceWork | None:
    """Every channel: ``flat_count`` flats in each of its flat filters, on the flat spot
    where it is now. None when there is nothing to take, or the sun at ``sun_alt`` is
    outside the flat window (the sky too bright or already too dark)."""
    calibrations = _calibrations_for(unit, when)
    if (calibrations is None or calibrations.flat_count == 0
            or not in_flat_window(sun_alt, calibrations)):
        return None
    check_flat_filters(unit.channels, calibrations)  # also for units made in code
    channels = tuple(ChannelWork(channel=c.name, plans=_flat_plans(c, calibrations, when))
                     for c in unit.channels)
    return _work(calibration_key(night, when, "flats"), f"{when} twilight flats",
                 "twilight flats", flat_spot(unit, sun_az), channels, needs_open_dome=True)


def focus_work(unit: UnitConfig, key: str, reason: str, sun_az: float) -> SequenceWork:
    """An autofocus (``pyros.focus``) on stars high in the sky, away from the twilight
    glow: the flat spot's altitude, opposite the sun."""
    channel = unit.focus.channel or unit.channels[0].name
    return SequenceWork(key=key, name=f"autofocus ({reason})", kind=WorkKind.FOCUS,
                        target_name="autofocus", pointing=flat_spot(unit, sun_az),
                        channels=(ChannelWork(channel=channel, plans=()),))


def calibration_key(night: date, when: str, what: str) -> str:
    """The work key of a night's calibration (``what``: darks or flats): the night log
    knows by it whether it was taken."""
    return f"calibration-{night.isoformat()}-{when}-{what}"


def in_flat_window(sun_alt: float, calibrations: Calibrations) -> bool:
    """Whether the twilight sky is right for flats: between the two configured sun
    altitudes (either end of the night)."""
    return calibrations.flats_to_sun_altitude <= sun_alt <= calibrations.flats_from_sun_altitude


def flat_spot(unit: UnitConfig, sun_az: float) -> Pointing:
    """The flat spot now, in ICRS: the mount tracks it, which over a few minutes of
    flats keeps it close enough to the spot."""
    site = unit.site
    ra, dec = astro.radec_from_altaz(
        FLAT_ALTITUDE, (sun_az + FLAT_AZIMUTH_FROM_SUN) % 360.0, clock.now(),
        astro.location(site.latitude, site.longitude, site.elevation))
    return Pointing(ra=ra, dec=dec)


def _calibrations_for(unit: UnitConfig, when: str) -> Calibrations | None:
    if when not in WHEN:
        raise ValueError(f"calibrations are taken at dusk or dawn, not {when!r}")
    calibrations = unit.majordome.calibrations
    wanted = calibrations.dusk if when == "dusk" else calibrations.dawn
    return calibrations if wanted else None


def _bias_and_dark_plans(calibrations: Calibrations) -> tuple[Exposures, ...]:
    plans: list[Exposures] = []
    if calibrations.bias_count:
        plans.append(Exposures(name="bias", filter=None, exposure=0.0,
                               count=calibrations.bias_count, frame_type=FrameType.BIAS))
    if calibrations.dark_count:
        plans += [Exposures(name=f"dark {seconds:g} s", filter=None, exposure=seconds,
                            count=calibrations.dark_count, frame_type=FrameType.DARK)
                  for seconds in calibrations.dark_exposures]
    return tuple(plans)


def _flat_plans(channel: Channel, calibrations: Calibrations,
                when: str) -> tuple[Exposures, ...]:
    """One plan per filter. At dusk the sky darkens, at dawn it brightens: the filters go
    in the configured order at dusk and in the reverse order at dawn, so the filter that
    wants the brightest sky (listed first) gets it at both ends of the night."""
    filters = calibrations.flat_filters.get(channel.name, channel.filters)
    ordered = filters if when == "dusk" else list(reversed(filters))
    aim = None
    if calibrations.flat_level > 0:
        aim = FlatAim(level=calibrations.flat_level,
                      min_exposure=calibrations.flat_min_exposure,
                      max_exposure=calibrations.flat_max_exposure, darkening=when == "dusk")
    return tuple(Exposures(name=f"flat {name}", filter=name,
                           exposure=calibrations.flat_exposure,
                           count=calibrations.flat_count, frame_type=FrameType.FLAT, aim=aim)
                 for name in ordered)


def _work(key: str, name: str, target: str, pointing: Pointing | None,
          channels: tuple[ChannelWork, ...], *, needs_open_dome: bool) -> SequenceWork | None:
    if not any(job.plans for job in channels):
        return None
    return SequenceWork(key=key, name=name, kind=WorkKind.CALIBRATION, target_name=target,
                        pointing=pointing, channels=channels, needs_open_dome=needs_open_dome)
