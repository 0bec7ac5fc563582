from django.urls import path

from pyros.proposals import api

urlpatterns = [
    path("proposals/", api.ProposalListView.as_view(), name="api-proposal-list"),
    path("proposals/<int:pk>/", api.ProposalDetailView.as_view(), name="api-proposal-detail"),
    path("proposals/<int:pk>/votes/", api.ProposalVoteView.as_view(), name="api-proposal-vote"),
]
