"""The clock as the site shows it: a banner on every page while a simulated clock runs
(so a simulated night is never mistaken for a real one), and ``GET /api/clock/``, what
the banner's script (``pyros/clock.js``) and any client read: the clock's time, whether
it is simulated, its speed, and the night "tonight" means (``scheduling.tonight``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from django.conf import settings
from django.http import HttpRequest
from drf_spectacular.utils import extend_schema
from pydantic import BaseModel, Field
from rest_framework.permissions import AllowAny
from rest_framework.request import Request as ApiRequest
from rest_framework.response import Response
from rest_framework.views import APIView

from pyros import clock
from pyros.scheduling.store import tonight


class ClockOut(BaseModel):
    now: datetime = Field(description="the clock's time (UTC): simulated when `simulated`")
    wall: datetime = Field(description="the wall clock's time (UTC)")
    simulated: bool = Field(description="a simulated clock runs (pyros start --sim-time)")
    speed: float = Field(description="simulated seconds per wall second (1 for the real "
                                     "clock, 0 for a simulated clock that is stepped)")
    run: str = Field(description="the simulated run's name, stamped on its readings; "
                                 "empty under the real clock")
    tonight: date = Field(description="the night 'tonight' means now, by the date of its "
                                      "evening: once the last night's dark time is over, "
                                      "the coming one")


def clock_now() -> ClockOut:
    current = clock.get_clock()
    now = current.now()
    simulated = clock.is_simulated()
    return ClockOut(now=now, wall=datetime.now(UTC), simulated=simulated,
                    speed=float(getattr(current, "speed", 1.0)) if simulated else 1.0,
                    run=clock.run_label(), tonight=tonight(settings.UNIT, now))


class ClockView(APIView):
    permission_classes: ClassVar = [AllowAny]

    @extend_schema(operation_id="clock", tags=["clock"], summary="The site's clock",
                   description="The time every part of PyROS uses now, and whether it is "
                               "a simulated clock (and how fast it runs). Open to "
                               "everyone, as the banner of every page is.",
                   responses={200: ClockOut})
    def get(self, request: ApiRequest) -> Response:
        return Response(clock_now().model_dump(mode="json"))


def banner(request: HttpRequest) -> dict[str, Any]:
    """Template context: ``sim_clock`` while a simulated clock runs, else None."""
    if not clock.is_simulated():
        return {"sim_clock": None}
    current = clock.get_clock()
    now = current.now()
    return {"sim_clock": {"now": now.isoformat(), "text": f"{now:%Y-%m-%d %H:%M:%S}",
                          "speed": float(getattr(current, "speed", 0.0)),
                          "run": clock.run_label()}}
