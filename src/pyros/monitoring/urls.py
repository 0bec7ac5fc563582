"""The Weather page (/weather/) and the Observatory page (/observatory/)."""

from django.urls import path

from pyros.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("weather/", views.weather, name="weather"),
    path("observatory/", views.observatory, name="observatory"),
]
