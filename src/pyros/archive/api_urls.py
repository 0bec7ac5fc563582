"""The archive API, under /api/archive/."""

from django.urls import path

from pyros.archive import api, downloads

urlpatterns = [
    path("archive/frames/", api.FrameListView.as_view(), name="api-archive-frames"),
    path("archive/frames/<int:pk>/", api.FrameDetailView.as_view(), name="api-archive-frame"),
    path("archive/frames/<int:pk>/headers/", api.FrameHeadersView.as_view(),
         name="api-archive-headers"),
    path("archive/frames/<int:pk>/related/", api.FrameRelatedView.as_view(),
         name="api-archive-related"),
    path("archive/frames/<int:pk>/url/", api.SignedLinkView.as_view(), name="api-archive-url"),
    path("archive/frames/<int:pk>/file/", downloads.FrameFileView.as_view(),
         name="api-archive-file"),
    path("archive/frames/<int:pk>/thumbnail.png", downloads.ThumbnailView.as_view(),
         name="api-archive-thumbnail"),
    path("archive/frames/<int:pk>/preview.png", downloads.PreviewView.as_view(),
         name="api-archive-preview"),
    path("archive/zip/", downloads.ZipView.as_view(), name="api-archive-zip"),
]
