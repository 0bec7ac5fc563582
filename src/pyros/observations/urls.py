"""The request pages, under /requests/."""

from django.urls import path

from pyros.observations import views

app_name = "observations"

urlpatterns = [
    path("", views.request_list, name="request-list"),
    path("new/", views.request_create, name="request-create"),
    path("import/", views.request_import, name="request-import"),
    path("<int:pk>/", views.request_detail, name="request-detail"),
    path("<int:pk>/edit/", views.request_edit, name="request-edit"),
    path("<int:pk>/submit/", views.request_submit, name="request-submit"),
    path("<int:pk>/cancel/", views.request_cancel, name="request-cancel"),
    path("<int:pk>/export.xml", views.request_export, {"kind": "xml"},
         name="request-export-xml"),
    path("<int:pk>/export.json", views.request_export, {"kind": "json"},
         name="request-export-json"),
    path("<int:pk>/sequences/new/", views.sequence_create, name="sequence-create"),
    path("<int:pk>/sequences/<int:sequence_id>/edit/", views.sequence_edit,
         name="sequence-edit"),
    path("<int:pk>/sequences/<int:sequence_id>/delete/", views.sequence_delete,
         name="sequence-delete"),
    path("<int:pk>/sequences/<int:sequence_id>/albums/new/", views.album_create,
         name="album-create"),
    path("<int:pk>/albums/<int:album_id>/edit/", views.album_edit, name="album-edit"),
    path("<int:pk>/albums/<int:album_id>/delete/", views.album_delete, name="album-delete"),
    path("<int:pk>/albums/<int:album_id>/plans/new/", views.plan_create, name="plan-create"),
    path("<int:pk>/plans/<int:plan_id>/edit/", views.plan_edit, name="plan-edit"),
    path("<int:pk>/plans/<int:plan_id>/delete/", views.plan_delete, name="plan-delete"),
]
