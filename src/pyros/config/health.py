"""The ``[health]`` section: the threshold of each nightly metric (docs/health.md), and
whether the morning report is built and mailed."""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pyros.health.metrics import METRICS


class Threshold(BaseModel):
    """A metric's acceptable range; a night's value outside it is a warning."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min: float | None = Field(default=None, description="a lower value is a warning")
    max: float | None = Field(default=None, description="a higher value is a warning")

    @model_validator(mode="after")
    def _sensible(self) -> Threshold:
        for bound in (self.min, self.max):
            if bound is not None and not math.isfinite(bound):
                raise ValueError("a threshold must be a finite number")
        if self.min is None and self.max is None:
            raise ValueError("a threshold needs min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}")
        return self


class HealthConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    thresholds: dict[str, Threshold] = Field(
        default_factory=dict,
        description="per metric, e.g. fwhm = { max = 3.5 }: a night outside is a warning "
                    "on the Observatory and System pages and in the morning report")
    report: bool = Field(default=True, description="build the morning report when the "
                                                   "majordome logs the end of a night")
    mail: bool = Field(default=True, description="mail the morning report to the users "
                                                 "who subscribed")
    warning_days: int = Field(
        default=3, ge=1, le=366,
        description="the pages warn of the nights of the last this many days")

    @field_validator("thresholds")
    @classmethod
    def _known_metrics(cls, value: dict[str, Threshold]) -> dict[str, Threshold]:
        unknown = sorted(set(value) - set(METRICS))
        if unknown:
            raise ValueError(f"unknown metric {', '.join(unknown)} (metrics: "
                             f"{', '.join(METRICS)})")
        return value
