"""The proposal pages, under /proposals/."""

from django.urls import path

from pyros.proposals import program_views, views

app_name = "proposals"

urlpatterns = [
    path("", views.proposal_list, name="list"),
    path("new/", views.proposal_create, name="create"),
    path("<int:pk>/", views.proposal_detail, name="detail"),
    path("<int:pk>/edit/", views.proposal_edit, name="edit"),
    path("<int:pk>/submit/", views.proposal_submit, name="submit"),
    path("<int:pk>/delete/", views.proposal_delete, name="delete"),
    path("<int:pk>/vote/", views.proposal_vote, name="vote"),
    path("<int:pk>/decide/", views.proposal_decide, name="decide"),
    path("calls/<int:pk>/edit/", views.call_edit, name="call-edit"),
    path("programs/<int:pk>/", program_views.program_detail, name="program"),
    path("programs/<int:pk>/members/add/", program_views.member_add, name="member-add"),
    path("programs/<int:pk>/members/<int:user_id>/remove/", program_views.member_remove,
         name="member-remove"),
]
