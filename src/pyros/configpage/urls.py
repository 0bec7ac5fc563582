"""The Configuration pages, under /config/."""

from django.urls import path

from pyros.configpage import views

app_name = "configpage"

urlpatterns = [
    path("", views.config, name="config"),
    path("versions/", views.versions, name="versions"),
    path("versions/<int:number>/", views.version, name="version"),
    path("diff/<int:old>/<int:new>/", views.diff, name="diff"),
]
