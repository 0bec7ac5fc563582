"""The System page, under /system/."""

from django.urls import path

from pyros.agents import views

app_name = "agents"

urlpatterns = [
    path("", views.system, name="system"),
]
