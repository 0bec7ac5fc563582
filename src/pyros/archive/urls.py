"""The archive's pages, under /images/ beside each night's pages (analysis/urls.py)."""

from django.urls import path

from pyros.archive import views

app_name = "archive"

urlpatterns = [
    path("archive/", views.archive_list, name="list"),
    path("frames/<int:pk>/", views.frame_detail, name="frame"),
    path("frames/<int:pk>/thumbnail.png", views.frame_png, {"kind": "thumbnail"},
         name="thumbnail"),
    path("frames/<int:pk>/preview.png", views.frame_png, {"kind": "preview"},
         name="preview"),
]
