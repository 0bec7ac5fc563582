"""The URLs answered on ``[ocs] port`` (:mod:`pyros.ocs.routing`): the portal's under
``/api/``, the archive's under ``/frames/``. A TOM calls some without their trailing
slash; each path answers with or without it, never with a redirect (a redirected POST
loses its body)."""

from django.urls import URLPattern, path

from pyros.archive.downloads import FrameFileView
from pyros.ocs import frames, views

handler404 = "pyros.ocs.views.not_found"
handler500 = "pyros.ocs.views.server_error"


def both(route: str, view, name: str) -> list[URLPattern]:
    """``route/`` (named ``name``, what links use) and ``route`` without the slash."""
    return [path(f"{route}/", view, name=name), path(route, view, name=f"{name}-bare")]


urlpatterns = [
    *both("api/instruments", views.InstrumentsView.as_view(), "ocs-instruments"),
    *both("api/profile", views.ProfileView.as_view(), "ocs-profile"),
    *both("api/telescope_states", views.TelescopeStatesView.as_view(),
          "ocs-telescope-states"),
    *both("api/requestgroups", views.RequestGroupsView.as_view(), "ocs-requestgroups"),
    *both("api/requestgroups/validate", views.ValidateView.as_view(), "ocs-validate"),
    *both("api/requestgroups/<int:pk>", views.RequestGroupView.as_view(), "ocs-requestgroup"),
    *both("api/requestgroups/<int:pk>/cancel", views.CancelView.as_view(), "ocs-cancel"),
    *both("api/requests/<int:pk>", views.RequestView.as_view(), "ocs-request"),
    *both("api/requests/<int:pk>/observations", views.ObservationsView.as_view(),
          "ocs-observations"),
    *both("frames", frames.FrameListView.as_view(), "ocs-frames"),
    *both("frames/<int:pk>", frames.FrameDetailView.as_view(), "ocs-frame"),
    *both("frames/<int:pk>/file", FrameFileView.as_view(), "ocs-frame-file"),
]
