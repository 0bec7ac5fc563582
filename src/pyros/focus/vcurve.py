"""The V-curve: FWHM against focuser position. A defocused star's image is the seeing
disc convolved with the pupil's out-of-focus image, whose width grows linearly with the
distance from focus; the two add nearly in quadrature, so FWHM² = a² + b²(p − c)², a
hyperbola with its asymptotes the V's arms and its vertex at best focus c.

FWHM² is then a quadratic in p, fitted by linear least squares; c and its uncertainty
follow from the coefficients and their covariance."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


class VCurveError(ValueError):
    """Too few points, or points that are no V (flat, or opening downwards)."""


@dataclass(frozen=True)
class VCurve:
    best: float  # steps
    best_error: float  # steps, one standard deviation
    best_fwhm: float  # arcsec at the vertex
    slope: float  # arcsec of FWHM per step far from focus (the V's arms)

    def fwhm_at(self, position: float) -> float:
        return math.hypot(self.best_fwhm, self.slope * (position - self.best))


MAX_DEVIATION = 0.2  # relative: a frame measured this far off the curve is rejected


def fit_vcurve(positions: list[float], fwhms: list[float]) -> VCurve:
    """The hyperbola through the points, weighted by their relative error (a FWHM is
    measured to a few per cent of itself, so the wide ones must not rule the fit); the
    worst point is dropped while it lies more than MAX_DEVIATION off the curve and five
    remain (far from focus, a star's faint halo is easily mis-measured)."""
    p = np.asarray(positions, dtype=float)
    f = np.asarray(fwhms, dtype=float)
    if len(p) != len(f) or len(p) < 4:
        raise VCurveError(f"{len(p)} measured frames: a V-curve needs at least 4")
    if len(set(p.tolist())) < 3:
        raise VCurveError("the frames were taken at fewer than 3 positions")
    while True:
        curve = _fit(p, f)
        deviation = np.abs(np.array([curve.fwhm_at(x) for x in p]) / f - 1.0)
        worst = int(np.argmax(deviation))
        if deviation[worst] <= MAX_DEVIATION or len(p) <= 5:
            return curve
        p, f = np.delete(p, worst), np.delete(f, worst)


def _fit(p: np.ndarray, f: np.ndarray) -> VCurve:
    centre, scale = float(p.mean()), float(np.ptp(p)) or 1.0
    x = (p - centre) / scale
    weight = 1.0 / f**2  # σ(F²) = 2F σ(F), and σ(F) ∝ F
    a = np.column_stack([x**2, x, np.ones_like(x)]) * weight[:, None]
    y = f**2 * weight
    coefficients, *_ = np.linalg.lstsq(a, y, rcond=None)
    quadratic, linear, constant = (float(c) for c in coefficients)
    if quadratic <= 0:
        raise VCurveError("the FWHM does not rise on both sides: no V to fit (a larger "
                          "step, or a sweep centred nearer focus)")
    residual = y - a @ coefficients
    dof = max(len(y) - 3, 1)
    covariance = float(residual @ residual) / dof * np.linalg.inv(a.T @ a)
    vertex = -linear / (2 * quadratic)
    gradient = np.array([linear / (2 * quadratic**2), -1 / (2 * quadratic), 0.0])
    vertex_error = math.sqrt(max(float(gradient @ covariance @ gradient), 0.0))
    floor = constant - linear**2 / (4 * quadratic)
    return VCurve(best=centre + vertex * scale, best_error=vertex_error * scale,
                  best_fwhm=math.sqrt(max(floor, 0.0)),
                  slope=math.sqrt(quadratic) / scale)
