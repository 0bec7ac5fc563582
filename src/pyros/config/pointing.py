"""The pointing and focus parts of a unit's configuration: ``[mount.pointing_model]``
(whether the fitted model corrects the slews, which terms to fit),
``[mount.simulated_error]`` (the simulated mount's true pointing error, to test the fit
against), and ``[focus]`` (the autofocus and the simulated focus's physics)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: TPOINT terms known to pyros.pointing.terms (kept here: the configuration imports no
#: numpy code).
POINTING_TERMS = ("IH", "ID", "CH", "NP", "MA", "ME", "TF", "FO", "DAF")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _known_terms(names: list[str]) -> list[str]:
    unknown = [n for n in names if n not in POINTING_TERMS]
    if unknown:
        raise ValueError(f"unknown pointing terms {', '.join(unknown)} "
                         f"(known: {', '.join(POINTING_TERMS)})")
    return names


class PointingModelConfig(_Strict):
    enabled: bool = Field(default=False, description="correct every slew with the model in "
                                                     "force (the last one fitted and stored)")
    mount_type: Literal["fork", "german"] = Field(
        default="fork", description="fork: fits FO; german (equatorial): fits DAF")
    terms: list[str] = Field(default_factory=list,
                             description="terms to fit; empty: those of the mount type")

    _check_terms = field_validator("terms")(_known_terms)


class SimulatedPointingError(_Strict):
    """The sim backend's mount points where this model says, not where it is sent."""

    terms: dict[str, float] = Field(default_factory=dict,
                                    description="TPOINT coefficients, arcseconds")
    noise: float = Field(default=0.0, ge=0.0, le=600.0,
                         description="random error per slew, arcsec rms on each axis")
    seed: int = Field(default=0, description="of the random error")

    @field_validator("terms")
    @classmethod
    def _terms(cls, terms: dict[str, float]) -> dict[str, float]:
        _known_terms(list(terms))
        if any(not -36_000.0 <= v <= 36_000.0 for v in terms.values()):
            raise ValueError("a simulated pointing term is beyond ±10 degrees")
        return terms


class SimulatedFocus(_Strict):
    """The simulated optics: stars blur with defocus, |position − best(T)|, and the best
    position drifts with the tube's temperature T."""

    best_position: int = Field(default=25_000, ge=0, le=50_000,
                               description="best focus at the reference temperature, steps")
    reference_temperature: float = Field(default=10.0, ge=-50.0, le=50.0, description="C")
    steps_per_degree: float = Field(default=-40.0, ge=-5000.0, le=5000.0,
                                    description="best focus drift, steps per degree C")
    blur_per_step: float = Field(default=0.01, gt=0.0, le=10.0,
                                 description="FWHM added per step of defocus, arcsec")
    temperature: float = Field(default=10.0, ge=-50.0, le=50.0,
                               description="tube temperature when the simulator starts, C")
    temperature_rate: float = Field(default=0.0, ge=-20.0, le=20.0,
                                    description="its change per hour of the clock, C/h")


class FocusConfig(_Strict):
    focuser: str = Field(default="", description="device name; empty: the unit's focuser")
    channel: str = Field(default="", description="channel whose frames measure the focus; "
                                                 "empty: the first")
    filter: str = Field(default="", description="filter for focus frames; empty: the first")
    exposure: float = Field(default=5.0, gt=0.0, le=300.0, description="seconds per frame")
    window: int = Field(default=512, ge=64, le=100_000,
                        description="side of the central window read, pixels")
    step: int = Field(default=150, ge=1, le=10_000,
                      description="steps between the V-curve's positions")
    points: int = Field(default=7, ge=5, le=15, description="positions on the V-curve")
    max_exposures: int = Field(default=10, ge=5, le=50,
                               description="frames one autofocus may take, all told")
    depth_of_focus: int = Field(default=100, ge=1, le=10_000,
                                description="steps either side of best focus that stay "
                                            "sharp (the critical focus zone)")
    auto: bool = Field(default=False, description="the majordome focuses by itself: at the "
                                                  "start of the night (at_dusk) and when the "
                                                  "temperature moves (temperature_change)")
    at_dusk: bool = Field(default=True, description="focus once at the start of the night")
    temperature_change: float = Field(
        default=1.0, gt=0.0, le=50.0,
        description="refocus when the tube's temperature moved this much, C")
    simulated: SimulatedFocus = SimulatedFocus()
