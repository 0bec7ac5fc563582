"""The site's URLs plus one view that fails, to see the 500 handler answer it."""

from django.urls import path

from pyros.web.urls import handler404, handler500, urlpatterns  # noqa: F401


def broken(request):
    raise RuntimeError("the database went away")


urlpatterns = [path("broken/", broken), path("api/broken/", broken), *urlpatterns]
