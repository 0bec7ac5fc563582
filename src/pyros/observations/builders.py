"""Requests made by programs rather than people: the simulated nights (the demo, the
fault night, the majordome's tests) build their sequences here, in the JSON format of
requests (``json_format``), so that they go through the same validation as a user's.

Plain Python (astropy for the sidereal time): no Django.
"""

from __future__ import annotations

from datetime import datetime

#: The example unit's two channels and a filter each.
VIS, NIR = ("Visible camera", "r"), ("Infrared camera", "J")


def two_channel_sequence(name: str, ra: float, dec: float, *, start: str, end: str,
                         minutes: float = 5.0, priority: int = 5,
                         obs_type: str = "BESTELEV", exposure: float = 5.0,
                         nir_exposure: float | None = None, frames: int = 2,
                         max_airmass: float = 3.0, min_moon_separation: float = 0.0,
                         vis: tuple[str, str] = VIS, nir: tuple[str, str] = NIR,
                         target: str = "") -> dict:
    """A sequence observing (``ra``, ``dec``) on both channels at once, ``frames``
    exposures through one filter on each, in the window ``start``..``end`` (ISO UTC)."""
    return {"name": name, "target": target or name, "ra": round(ra, 4), "dec": round(dec, 4),
            "start": start, "end": end, "duration": minutes * 60, "priority": priority,
            "obs_type": obs_type, "max_airmass": max_airmass,
            "min_moon_separation": min_moon_separation,
            "albums": [
                {"name": "vis", "detector": vis[0],
                 "plans": [{"name": vis[1], "filter": vis[1], "exposure": exposure,
                            "nb_images": frames}]},
                {"name": "nir", "detector": nir[0],
                 "plans": [{"name": nir[1], "filter": nir[1],
                            "exposure": exposure if nir_exposure is None else nir_exposure,
                            "nb_images": frames}]}]}


def meridian_ra(when: datetime, longitude: float, hours_east: float = 0.0) -> float:
    """The right ascension (degrees) on the meridian at ``when`` at ``longitude``, or
    ``hours_east`` hours east of it (the local apparent sidereal time)."""
    from astropy.coordinates import Longitude
    from astropy.time import Time

    lst = Time(when).sidereal_time("apparent", longitude=longitude).deg
    return float(Longitude(lst + 15.0 * hours_east, unit="deg").deg)
