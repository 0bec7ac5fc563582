"""The monitoring API, under /api/weather/ and /api/observatory/."""

from django.urls import path

from pyros.monitoring import api

urlpatterns = [
    path("weather/now/", api.WeatherNowView.as_view(), name="api-weather-now"),
    path("weather/history/", api.WeatherHistoryView.as_view(), name="api-weather-history"),
    path("observatory/site/", api.SiteView.as_view(), name="api-observatory-site"),
]
