"""The Schedule pages, under /schedule/."""

from django.urls import path

from pyros.scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("", views.schedule, name="schedule"),
    path("part/", views.schedule_part, name="schedule-part"),
    path("history/", views.history, name="history"),
    path("simulate/", views.simulate, name="simulate"),
    path("simulate/<int:pk>/", views.simulation, name="simulation"),
    path("<int:pk>/", views.schedule_detail, name="schedule-detail"),
    path("<int:pk>/part/", views.schedule_detail_part, name="schedule-detail-part"),
]
