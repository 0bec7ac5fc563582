"""The images API, under /api/images/."""

from django.urls import path

from pyros.analysis import api

urlpatterns = [
    path("images/", api.ImageListView.as_view(), name="api-images"),
    path("images/masters/", api.MasterListView.as_view(), name="api-images-masters"),
    path("images/<int:pk>/", api.ImageDetailView.as_view(), name="api-image"),
]
