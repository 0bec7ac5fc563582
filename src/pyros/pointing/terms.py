"""TPOINT's standard terms of an equatorial mount, as functions of where the telescope
points on the sky (hour angle h, declination d, site latitude p).

Each term adds ``coefficient × (dh, dd)`` to the mount's encoder coordinates: a mount
with the error, asked to reach the encoder position E, points at the sky position S
where ``E = S + Σ term(S)``. Hour-angle increments are in coordinate arcseconds (on the
sky they are multiplied by cos d). The signs are TPOINT's (Wallace, TPOINT manual), so
the coefficients read as TPOINT's would.

| term | what | dh | dd |
|---|---|---|---|
| IH  | hour-angle index error | −1 | 0 |
| ID  | declination index error | 0 | −1 |
| CH  | collimation (east-west) | −sec d | 0 |
| NP  | HA/Dec non-perpendicularity | −tan d | 0 |
| MA  | polar axis left-right misalignment | −cos h tan d | sin h |
| ME  | polar axis elevation error | sin h tan d | cos h |
| TF  | tube flexure (∝ sin z) | cos p sin h sec d | cos p cos h sin d − sin p cos d |
| FO  | fork flexure | 0 | cos h |
| DAF | declination axis flexure | −(cos p cos h + sin p tan d) | 0 |

FO is a fork mount's; DAF a German equatorial's (the declination axis bending under the
tube's weight). The pier flip of a German mount is not modelled: fit one model per
side of the pier if yours flips.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Term = Callable[[np.ndarray, np.ndarray, float], tuple[np.ndarray, np.ndarray]]


def _zero(h: np.ndarray) -> np.ndarray:
    return np.zeros_like(h)


TERMS: dict[str, Term] = {
    "IH": lambda h, d, p: (-np.ones_like(h), _zero(h)),
    "ID": lambda h, d, p: (_zero(h), -np.ones_like(h)),
    "CH": lambda h, d, p: (-1.0 / np.cos(d), _zero(h)),
    "NP": lambda h, d, p: (-np.tan(d), _zero(h)),
    "MA": lambda h, d, p: (-np.cos(h) * np.tan(d), np.sin(h)),
    "ME": lambda h, d, p: (np.sin(h) * np.tan(d), np.cos(h)),
    "TF": lambda h, d, p: (np.cos(p) * np.sin(h) / np.cos(d),
                           np.cos(p) * np.cos(h) * np.sin(d) - np.sin(p) * np.cos(d)),
    "FO": lambda h, d, p: (_zero(h), np.cos(h)),
    "DAF": lambda h, d, p: (-(np.cos(p) * np.cos(h) + np.sin(p) * np.tan(d)), _zero(h)),
}

COMMON = ("IH", "ID", "CH", "NP", "MA", "ME", "TF")
#: The terms fitted by default for each kind of mount.
MOUNT_TERMS: dict[str, tuple[str, ...]] = {"fork": (*COMMON, "FO"),
                                           "german": (*COMMON, "DAF")}


def check_terms(names: list[str] | tuple[str, ...]) -> None:
    """A clear error for a term this model does not know, or one given twice."""
    unknown = [n for n in names if n not in TERMS]
    if unknown:
        raise ValueError(f"unknown pointing terms {', '.join(unknown)} "
                         f"(known: {', '.join(TERMS)})")
    if len(set(names)) != len(names):
        raise ValueError("a pointing term is listed twice")


def offsets(coefficients: dict[str, float], ha_deg: np.ndarray | float,
            dec_deg: np.ndarray | float, latitude_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """The encoder-minus-sky offsets (dh, dd) in arcseconds of the model ``coefficients``
    (arcseconds) at hour angles and declinations in degrees."""
    check_terms(list(coefficients))
    h = np.radians(np.asarray(ha_deg, dtype=float))
    d = np.radians(np.asarray(dec_deg, dtype=float))
    p = float(np.radians(latitude_deg))
    dh, dd = np.zeros_like(h), np.zeros_like(h)
    for name, value in coefficients.items():
        th, td = TERMS[name](h, d, p)
        dh, dd = dh + value * th, dd + value * td
    return dh, dd


def design(names: tuple[str, ...] | list[str], ha_deg: np.ndarray, dec_deg: np.ndarray,
           latitude_deg: float) -> np.ndarray:
    """The least-squares design matrix: 2N rows (the N hour-angle offsets on the sky,
    × cos d, then the N declination offsets) by one column per term."""
    h, d = np.radians(ha_deg), np.radians(dec_deg)
    p = float(np.radians(latitude_deg))
    columns = []
    for name in names:
        th, td = TERMS[name](h, d, p)
        columns.append(np.concatenate([th * np.cos(d), td]))
    return np.column_stack(columns)
