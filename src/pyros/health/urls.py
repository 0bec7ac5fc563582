"""The Calibration & Health pages, under /health/."""

from django.urls import path

from pyros.health import views

urlpatterns = [
    path("", views.health, name="health"),
    path("subscription/", views.subscription, name="health-subscription"),
    path("reports/<str:night>/", views.report, name="health-report"),
    path("reports/<str:night>/file/", views.report_file, name="health-report-file"),
]
