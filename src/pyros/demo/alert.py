"""The demo night's alert: which real packet, and when to send it.

The demo ships three real packets (``packets/``, copies of the suite's) at three places
in the sky; for the chosen night it takes the one that stands highest in the dark hours,
at the moment it stands highest, away from the rain and from the ends of the night, and
sends it then through the local broker, moved to that time (``pyros alert send
--redate``): the alert intake judges it as if the burst had just gone off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.coordinates import AltAz, SkyCoord
from astropy.time import Time

from pyros.astro import location

PACKETS = ("svom_eclairs_wakeup_sb26030408.xml", "svom_mxt_initial_sb26022802.xml",
           "swift_bat_grb_pos_655721.xml")
#: The alert comes at least this long after the dark begins and before it ends (the
#: follow-up must fit), and this long before the rain (the dome must be open)...
MARGIN = timedelta(hours=1.5)
#: ... or this long after it: the air stays humid a while, then the safe delay runs.
AFTER_RAIN = timedelta(hours=2.5)
STEP = timedelta(minutes=10)


@dataclass(frozen=True)
class AlertPlan:
    packet: Path
    ra: float
    dec: float
    send_at: datetime  # on the night's clock
    altitude: float  # degrees, at send_at

    @property
    def name(self) -> str:
        return self.packet.name


def packet_path(name: str) -> Path:
    return Path(str(resources.files("pyros.demo").joinpath("packets", name)))


def choose_alert(dark: tuple[datetime, datetime], rain: tuple[datetime, datetime] | None,
                 latitude: float, longitude: float, elevation: float) -> AlertPlan:
    """The packet and the moment of the night when its burst stands highest: inside the
    dark hours less ``MARGIN`` (less on a night shortened to a few hours: a fifth of its
    dark time), not within that margin before the rain nor ``AFTER_RAIN`` after it."""
    from pyros.alerts.voevent import parse_voevent

    where = location(latitude, longitude, elevation)
    margin = min(MARGIN, (dark[1] - dark[0]) / 5)  # a shortened night keeps its middle
    moments = []
    moment = dark[0] + margin
    while moment <= dark[1] - margin:
        if rain is None or not rain[0] - margin <= moment <= rain[1] + AFTER_RAIN:
            moments.append(moment)
        moment += STEP
    if not moments:
        raise ValueError("the night is too short for the demo's alert: no dark hour "
                         f"{MARGIN} from its ends and from the rain")
    frame = AltAz(obstime=Time(moments), location=where)
    best: AlertPlan | None = None
    for name in PACKETS:
        path = packet_path(name)
        alert = parse_voevent(path.read_bytes())
        if alert.ra is None or alert.dec is None:
            raise ValueError(f"the demo's packet {name} has no position")
        altitudes = SkyCoord(ra=alert.ra * u.deg, dec=alert.dec * u.deg) \
            .transform_to(frame).alt.deg
        highest = int(np.argmax(altitudes))
        if best is None or altitudes[highest] > best.altitude:
            best = AlertPlan(path, alert.ra, alert.dec, moments[highest],
                             float(altitudes[highest]))
    if best is None:
        raise ValueError("the demo ships no alert packet")
    return best
