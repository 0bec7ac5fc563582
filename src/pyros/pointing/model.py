"""A pointing model in use: from the sky position wanted to the position to send the
mount (the correction layer's job), and back (what a mount with this error truly
points at: the simulator's job). Hour angles are the local sidereal time minus the ICRS
right ascension, as everywhere in PyROS's pointing."""

from __future__ import annotations

from dataclasses import dataclass, field

from pyros.pointing.terms import check_terms, offsets

ARCSEC = 1.0 / 3600.0


def wrap180(angle: float) -> float:
    return (angle + 180.0) % 360.0 - 180.0


@dataclass(frozen=True)
class PointingModel:
    """Coefficients in arcseconds by TPOINT term name, for a site latitude."""

    coefficients: dict[str, float]
    latitude: float
    label: str = field(default="", compare=False)  # which fit: for logs and headers

    def __post_init__(self) -> None:
        check_terms(list(self.coefficients))

    def encoder_offset(self, ha_deg: float, dec_deg: float) -> tuple[float, float]:
        """(dh, dd) in degrees: encoder minus sky, at a sky position."""
        dh, dd = offsets(self.coefficients, ha_deg, dec_deg, self.latitude)
        return float(dh) * ARCSEC, float(dd) * ARCSEC

    def mount_target(self, ra: float, dec: float, lst_deg: float) -> tuple[float, float]:
        """The position to send the mount so that it points at the sky's (ra, dec) when
        the local sidereal time is ``lst_deg``."""
        dh, dd = self.encoder_offset(wrap180(lst_deg - ra), dec)
        # RA = LST − HA: an hour-angle increment is a right-ascension decrement.
        return (ra - dh) % 360.0, max(-90.0, min(90.0, dec + dd))

    def sky_position(self, ra: float, dec: float, lst_deg: float) -> tuple[float, float]:
        """Where a mount sent to (ra, dec) points on the sky: the inverse of
        :meth:`mount_target`, by fixed-point iteration (the offsets change by far less
        than themselves over their own size, so three rounds reach a milliarcsecond)."""
        sky_ra, sky_dec = ra, dec
        for _ in range(4):
            dh, dd = self.encoder_offset(wrap180(lst_deg - sky_ra), sky_dec)
            sky_ra, sky_dec = (ra + dh) % 360.0, max(-90.0, min(90.0, dec - dd))
        return sky_ra, sky_dec
