"""A target's altitude through one night, for the request builder's small plot
(``GET /api/schedule/altitude/?ra=…&dec=…``): is it up tonight, and when?

Right ascension and declination are read as request files read them (degrees or
sexagesimal), so what a person typed in the builder is what is plotted.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

import numpy as np
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from pydantic import BaseModel
from rest_framework.exceptions import ParseError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request as ApiRequest
from rest_framework.response import Response
from rest_framework.views import APIView

from pyros import clock
from pyros.config.loader import active_config
from pyros.dates import parse_day
from pyros.monitoring.api import ReadsPage
from pyros.observations.coordinates import parse_dec, parse_ra
from pyros.scheduling import store
from pyros.scheduling.sky import night_sky
from pyros.scheduling.unit import site_of

#: Seconds between two points of the curve: 10 minutes draw a smooth enough line.
STEP = 600.0


class AltitudeOut(BaseModel):
    night: date
    ra: float
    dec: float
    dark_start: str | None
    dark_end: str | None
    max_altitude: float
    #: [UTC ISO time, altitude in degrees], from sunset to sunrise.
    points: list[tuple[str, float]]


def coordinate(params: Any, name: str) -> float:
    raw = params.get(name, "")
    if raw == "":
        raise ParseError(f"{name} is required (degrees, or sexagesimal)")
    try:
        value = float((parse_ra if name == "ra" else parse_dec)(str(raw)[:40]))
    except ValueError as exc:
        raise ParseError(f"{name}: {exc}") from None
    if (name == "ra" and not 0 <= value < 360) or (name == "dec" and not -90 <= value <= 90):
        raise ParseError(f"{name} {value:g} is out of range")
    return value


def altitude_tonight(ra: float, dec: float, night: date) -> AltitudeOut:
    sky = night_sky(site_of(active_config()), night)
    twilight = sky.twilights
    begin = twilight.sunset if twilight.sunset is not None else 0.0
    end = twilight.sunrise if twilight.sunrise is not None else 86400.0
    seconds = np.arange(begin, end + STEP / 2, STEP)
    altitude, _, _ = sky.altaz_at(np.full(seconds.shape, ra), np.full(seconds.shape, dec),
                                  seconds)
    dark = sky.dark_seconds if sky.has_dark_time else None
    points = [(sky.at(s).isoformat(timespec="minutes"), round(float(a), 2))
              for s, a in zip(seconds, altitude, strict=True)]
    return AltitudeOut(
        night=night, ra=ra, dec=dec,
        dark_start=sky.at(dark[0]).isoformat(timespec="minutes") if dark else None,
        dark_end=sky.at(dark[1]).isoformat(timespec="minutes") if dark else None,
        max_altitude=round(float(np.max(altitude)), 2) if len(altitude) else -90.0,
        points=points)


class AltitudeView(APIView):
    permission_classes: ClassVar = [AllowAny, ReadsPage]
    right: ClassVar[str] = "schedule"  # the Schedule page's right: who may see the sky

    @extend_schema(
        operation_id="schedule_altitude", tags=["Schedule"],
        summary="A target's altitude through the night",
        description="Altitude (degrees) every 10 minutes from sunset to sunrise of the "
                    "night (default tonight) at the site, and the dark time; for the "
                    "request builder's plot. `ra` and `dec` in degrees or sexagesimal "
                    "(RA in hours: `12:34:56.7`, `12h34m56s`; Dec `+12 34 56`).",
        parameters=[OpenApiParameter("ra", str, required=True),
                    OpenApiParameter("dec", str, required=True),
                    OpenApiParameter("night", OpenApiTypes.DATE,
                                     description="the night's evening date (default tonight)")],
        responses={200: AltitudeOut},
    )
    def get(self, request: ApiRequest) -> Response:
        ra, dec = coordinate(request.query_params, "ra"), coordinate(request.query_params,
                                                                       "dec")
        raw_night = request.query_params.get("night", "")
        try:
            night = parse_day(raw_night, "night") if raw_night else \
                store.tonight(active_config(), clock.now())
        except ValueError as exc:
            raise ParseError(str(exc)) from None
        return Response(altitude_tonight(ra, dec, night).model_dump(mode="json"))
