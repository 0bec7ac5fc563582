"""The time accounting API, under /api/programs/."""

from django.urls import path

from pyros.programs import api

urlpatterns = [
    path("programs/", api.ProgramListView.as_view(), name="api-program-list"),
    path("programs/<int:pk>/", api.ProgramDetailView.as_view(), name="api-program-detail"),
]
