"""The scheduling API, under /api/schedule/."""

from django.urls import path

from pyros.scheduling import altitude, api

urlpatterns = [
    path("schedule/", api.ScheduleHistoryView.as_view(), name="api-schedule-list"),
    path("schedule/current/", api.CurrentScheduleView.as_view(), name="api-schedule-current"),
    path("schedule/altitude/", altitude.AltitudeView.as_view(), name="api-schedule-altitude"),
    path("schedule/simulate/", api.SimulateView.as_view(), name="api-schedule-simulate"),
    path("schedule/<int:pk>/", api.ScheduleDetailView.as_view(), name="api-schedule-detail"),
]
