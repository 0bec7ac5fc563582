"""The jobs API, under /api/jobs/."""

from django.urls import path

from pyros.jobs import api

urlpatterns = [
    path("jobs/<int:pk>/", api.JobDetailView.as_view(), name="api-job-detail"),
]
