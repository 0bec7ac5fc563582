from django.contrib import admin

from pyros.agents.models import AgentLog, AgentSurvey, Command


@admin.register(AgentSurvey)
class AgentSurveyAdmin(admin.ModelAdmin):
    list_display = ("name", "computer", "pid", "mode", "status", "iteration", "last_beat",
                    "restarts")


@admin.register(Command)
class CommandAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "sender", "recipient", "state", "created_at", "ended_at")
    list_filter = ("state", "recipient")


@admin.register(AgentLog)
class AgentLogAdmin(admin.ModelAdmin):
    list_display = ("created_at", "agent", "level", "message")
    list_filter = ("agent", "level")
