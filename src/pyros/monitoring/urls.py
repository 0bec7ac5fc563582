"""The Weather page (/weather/), the Observatory page (/observatory/) and the Webcams
page (/webcams/)."""

from django.urls import path

from pyros.monitoring import views, webcams

app_name = "monitoring"

urlpatterns = [
    path("weather/", views.weather, name="weather"),
    path("observatory/", views.observatory, name="observatory"),
    path("webcams/", webcams.webcams, name="webcams"),
    path("webcams/<int:index>/image/", webcams.webcam_image, name="webcam-image"),
]
