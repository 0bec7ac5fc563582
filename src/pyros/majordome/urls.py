"""The majordome's pages, under /observatory/ (the Observatory page itself is the
monitoring's, which includes the majordome's part)."""

from django.urls import path

from pyros.majordome import views

app_name = "majordome"

urlpatterns = [
    path("majordome/part/", views.observatory_part, name="observatory-part"),
    path("control/", views.control, name="control"),
    path("control/part/", views.control_part, name="control-part"),
    path("log/", views.log, name="log"),
]
