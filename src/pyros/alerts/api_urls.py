"""The alerts API, under /api/alerts/."""

from django.urls import path

from pyros.alerts import api

urlpatterns = [
    path("alerts/events/", api.EventListView.as_view(), name="api-alerts-events"),
    path("alerts/events/<int:pk>/", api.EventDetailView.as_view(), name="api-alerts-event"),
    path("alerts/strategy/", api.StrategyView.as_view(), name="api-alerts-strategy"),
]
