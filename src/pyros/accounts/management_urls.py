"""The Users pages, under /users/."""

from django.urls import path

from pyros.accounts import management_views as views

app_name = "users"

urlpatterns = [
    path("", views.user_list, name="user-list"),
    path("<int:pk>/", views.user_detail, name="user-detail"),
    path("<int:pk>/profile/", views.user_profile, name="user-profile"),
    path("<int:pk>/active/", views.user_active, name="user-active"),
    path("<int:pk>/fields/", views.user_fields, name="user-fields"),
    path("<int:pk>/delete/", views.user_delete, name="user-delete"),
]
