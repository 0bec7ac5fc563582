"""The user management API, under /api/users/."""

from django.urls import path

from pyros.accounts import management_api as api

urlpatterns = [
    path("users/", api.UserListView.as_view(), name="api-user-list"),
    path("users/<int:pk>/", api.UserDetailView.as_view(), name="api-user-detail"),
]
