"""The least-squares fit of a pointing model: each observation is a field whose centre
the mount was sent to (the encoder position) and where it was found on the sky (the
solved centre); the terms explain encoder − sky. Linear in the coefficients, so one
``lstsq`` gives them, and the covariance ``s² (AᵀA)⁻¹`` their uncertainties, with ``s``
the residuals' standard deviation (2N offsets, P terms: 2N − P degrees of freedom)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pyros.pointing.model import PointingModel, wrap180
from pyros.pointing.terms import check_terms, design


@dataclass(frozen=True)
class Observation:
    """One field: sent to (ra, dec), found at (solved_ra, solved_dec), when the local
    sidereal time was ``lst`` (all degrees)."""

    ra: float
    dec: float
    solved_ra: float
    solved_dec: float
    lst: float

    @property
    def hour_angle(self) -> float:
        """Of the sky position: the model is a function of where the telescope points."""
        return wrap180(self.lst - self.solved_ra)

    def offsets(self) -> tuple[float, float]:
        """Encoder − sky in arcseconds: (hour angle, coordinate; declination)."""
        # HA = LST − RA: the encoder's hour angle minus the sky's is sky RA − encoder RA.
        return wrap180(self.solved_ra - self.ra) * 3600.0, (self.dec - self.solved_dec) * 3600.0

    def to_dict(self) -> dict[str, float]:
        return {"ra": self.ra, "dec": self.dec, "solved_ra": self.solved_ra,
                "solved_dec": self.solved_dec, "lst": self.lst}


class FitError(ValueError):
    """Too few fields for the terms, or fields that cannot tell the terms apart."""


@dataclass(frozen=True)
class PointingFit:
    terms: tuple[str, ...]
    coefficients: dict[str, float]  # arcsec
    sigmas: dict[str, float]  # arcsec, one standard deviation
    covariance: list[list[float]]  # arcsec², in the order of ``terms``
    rms_before: float  # arcsec on the sky, of the offsets
    rms_after: float  # arcsec on the sky, of the residuals
    residuals: list[float]  # arcsec on the sky, per field
    fields: int
    latitude: float

    def model(self, label: str = "") -> PointingModel:
        return PointingModel(dict(self.coefficients), self.latitude, label)

    def to_dict(self) -> dict:
        return {"terms": list(self.terms), "coefficients": self.coefficients,
                "sigmas": self.sigmas, "covariance": self.covariance,
                "rms_before": self.rms_before, "rms_after": self.rms_after,
                "residuals": self.residuals, "fields": self.fields,
                "latitude": self.latitude}


def _sky_rms(east: np.ndarray, north: np.ndarray) -> tuple[float, np.ndarray]:
    radial = np.hypot(east, north)
    return float(np.sqrt(np.mean(radial**2))), radial


def fit(observations: list[Observation], terms: tuple[str, ...] | list[str],
        latitude: float) -> PointingFit:
    """Fit ``terms`` to the observations; FitError when they cannot be told apart."""
    terms = tuple(terms)
    check_terms(terms)
    n = len(observations)
    if 2 * n <= len(terms):
        raise FitError(f"{n} fields give {2 * n} offsets: more than {len(terms)} are needed "
                       f"to fit {len(terms)} terms with an uncertainty")
    ha = np.array([o.hour_angle for o in observations])
    dec = np.array([o.solved_dec for o in observations])
    if np.any(np.abs(dec) > 89.0):
        raise FitError("a field within a degree of the pole: sec d and tan d diverge there")
    dh, dd = np.array([o.offsets() for o in observations]).T
    cosd = np.cos(np.radians(dec))
    y = np.concatenate([dh * cosd, dd])
    a = design(terms, ha, dec, latitude)
    normal = a.T @ a
    if np.linalg.cond(normal) > 1e12:
        raise FitError(f"the fields cannot tell the terms {', '.join(terms)} apart: spread "
                       "them over more hour angles and declinations, or fit fewer terms")
    solution, *_ = np.linalg.lstsq(a, y, rcond=None)
    residual = y - a @ solution
    dof = len(y) - len(terms)
    variance = float(residual @ residual) / dof
    covariance = variance * np.linalg.inv(normal)
    before, _ = _sky_rms(dh * cosd, dd)
    after, radial = _sky_rms(residual[:n], residual[n:])
    return PointingFit(
        terms=terms,
        coefficients={t: float(v) for t, v in zip(terms, solution, strict=True)},
        sigmas={t: math.sqrt(float(covariance[i, i])) for i, t in enumerate(terms)},
        covariance=covariance.tolist(), rms_before=before, rms_after=after,
        residuals=radial.tolist(), fields=n, latitude=latitude)
