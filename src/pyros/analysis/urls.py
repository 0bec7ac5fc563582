"""The Images pages, under /images/."""

from django.urls import path

from pyros.analysis import views

app_name = "analysis"

urlpatterns = [
    path("", views.nights, name="nights"),
    path("night/<str:night>/", views.night, name="night"),
    path("<int:pk>/", views.image_detail, name="image"),
    path("candidates/<int:pk>/<str:which>.png", views.cutout, name="cutout"),
]
