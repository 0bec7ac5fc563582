"""The Weather and Observatory pages, open to everyone (visitors included, as the
rights matrix says).

Pages are rendered once with the data as the database has it, so that they read
without JavaScript; then ``monitoring/monitoring.js`` keeps them current from the API
every few seconds and draws the weather plots (SVG, no library).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pyros.accounts.models import user_access
from pyros.accounts.rights import Access
from pyros.majordome.views import observatory_context
from pyros.monitoring.api import OBSERVATORY, WEATHER, site_now, weather_now


def _require(request: HttpRequest, right: str, page: str) -> None:
    if user_access(request.user, right) < Access.READ:
        raise PermissionDenied(f"your profile has no access to the {page} page")


def plot_limits() -> dict[str, float]:
    """The thresholds drawn on the plots, from the configuration's safety section."""
    safety = settings.UNIT.safety
    return {"rain_rate": safety.max_rain_rate, "wind_speed": safety.max_wind_speed,
            "wind_gust": safety.max_wind_gust, "humidity": safety.max_humidity,
            "sky_minus_ambient": safety.max_sky_minus_ambient}


def weather(request: HttpRequest) -> HttpResponse:
    _require(request, WEATHER, "weather")
    return render(request, "monitoring/weather.html", {
        "status": weather_now(), "limits": plot_limits(),
        "period": settings.UNIT.monitoring.period})


def observatory(request: HttpRequest) -> HttpResponse:
    _require(request, OBSERVATORY, "observatory")
    return render(request, "monitoring/observatory.html", {
        "status": site_now(), "period": settings.UNIT.monitoring.period,
        **observatory_context(request)})
