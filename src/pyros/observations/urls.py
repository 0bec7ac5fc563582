from django.urls import path

from pyros.observations import views

app_name = "observations"

urlpatterns = [
    path("", views.request_list, name="request-list"),
]
