from django.urls import path

from pyros.accounts.token_api import obtain_token
from pyros.observations import api

urlpatterns = [
    path("token/", obtain_token, name="api-token"),
    path("requests/", api.RequestListView.as_view(), name="api-request-list"),
    path("requests/<int:pk>/", api.RequestDetailView.as_view(), name="api-request-detail"),
    path("requests/<int:pk>/submit/", api.RequestSubmitView.as_view(), name="api-request-submit"),
    path("requests/<int:pk>/cancel/", api.RequestCancelView.as_view(), name="api-request-cancel"),
    path("requests/<int:pk>/export/", api.RequestExportView.as_view(), name="api-request-export"),
]
