"""The shape of a proposal as given by a form or an API body (plain pydantic).

Checks that need nothing but the values live here; checks against the unit (channel
names) and the database (co-investigators' usernames) in ``store.check``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: A six-month period has at most 4,392 hours (183 days): nobody asks for more.
MAX_HOURS = 4392.0
MAX_TARGETS = 500
MAX_CO_INVESTIGATORS = 50

Hours = Annotated[float, Field(ge=0.0, le=MAX_HOURS, allow_inf_nan=False)]


class TargetSpec(BaseModel):
    """A target, ICRS degrees."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100)
    ra: float = Field(ge=0.0, lt=360.0, allow_inf_nan=False, description="degrees")
    dec: float = Field(ge=-90.0, le=90.0, allow_inf_nan=False, description="degrees")


class ProposalSpec(BaseModel):
    """A proposal's content. ``requested_hours`` maps channel names of the unit
    configuration to hours; ``co_investigators`` are usernames."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=100)
    abstract: str = Field(min_length=1, max_length=20_000)
    requested_hours: dict[str, Hours] = Field(
        description="hours per channel (channel names of the unit configuration)")
    targets: list[TargetSpec] = Field(default_factory=list, max_length=MAX_TARGETS)
    co_investigators: list[str] = Field(default_factory=list,
                                        max_length=MAX_CO_INVESTIGATORS,
                                        description="usernames")

    @model_validator(mode="after")
    def _some_time(self) -> ProposalSpec:
        if sum(self.requested_hours.values()) <= 0:
            raise ValueError("requested_hours: ask for some time on at least one channel")
        return self


def problems_of(exc: Exception) -> dict[str, list[str]]:
    """A pydantic ValidationError as {field: [messages]}, field "" for the whole."""
    from pydantic import ValidationError

    problems: dict[str, list[str]] = {}
    if isinstance(exc, ValidationError):
        for error in exc.errors():
            loc = error["loc"]
            field = str(loc[0]) if loc else ""
            where = ".".join(str(p) for p in loc[1:])
            message = error["msg"].removeprefix("Value error, ")
            problems.setdefault(field, []).append(f"{where}: {message}" if where else message)
    else:
        problems[""] = [str(exc)]
    return problems
