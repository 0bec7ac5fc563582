"""The agents' API, under /api/agents/."""

from django.urls import path

from pyros.agents import api

urlpatterns = [
    path("agents/", api.AgentListView.as_view(), name="api-agent-list"),
    path("agents/logs/", api.AgentLogsView.as_view(), name="api-agent-logs"),
    path("agents/commands/<int:pk>/", api.CommandDetailView.as_view(), name="api-agent-command"),
    path("agents/<str:name>/commands/", api.CommandSendView.as_view(),
         name="api-agent-command-send"),
]
