"""The majordome's API, under /api/observatory/."""

from django.urls import path

from pyros.majordome import api

urlpatterns = [
    path("observatory/majordome/", api.MajordomeView.as_view(), name="api-majordome"),
    path("observatory/control/", api.ControlView.as_view(), name="api-observatory-control"),
    path("observatory/log/", api.NightLogView.as_view(), name="api-night-log"),
]
