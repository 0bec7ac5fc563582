"""The device status and remote-control API, under /api/instruments/."""

from django.urls import path

from pyros.instruments import api

urlpatterns = [
    path("instruments/", api.InstrumentsView.as_view(), name="api-instruments"),
    path("instruments/commands/", api.RemoteCommandView.as_view(),
         name="api-instruments-command"),
]
