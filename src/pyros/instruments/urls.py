"""The device pages, under /instruments/."""

from django.urls import path

from pyros.instruments import views

app_name = "instruments"

urlpatterns = [
    path("", views.telescope, name="telescope"),
    path("cameras/", views.cameras, name="cameras"),
    path("cameras/<str:channel>/preview.png", views.camera_preview, name="camera-preview"),
]
