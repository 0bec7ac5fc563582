"""Read-only admin: packets, events and their logs are what the telescope was told, and
strategy versions are never edited (a change is a new version, saved on the Strategy
page, so that each decision keeps pointing at the rules that made it)."""

from django.contrib import admin
from django.http import HttpRequest

from pyros.alerts.models import AlertEvent, AlertLog, AlertPacket, RefusedPacket, Strategy


class ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class PacketInline(ReadOnly, admin.TabularInline):
    model = AlertPacket
    fields = ("ivorn", "notice_type", "received_at", "decision", "reason", "request")
    raw_id_fields = ("request",)
    show_change_link = True
    extra = 0


class LogInline(ReadOnly, admin.TabularInline):
    model = AlertLog
    fields = ("step", "at", "message")
    extra = 0


@admin.register(AlertEvent)
class AlertEventAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("key", "mission", "status", "event_time", "ra", "dec", "error_radius",
                    "created_at")
    list_filter = ("status", "mission")
    search_fields = ("key", "trigger_id")
    date_hierarchy = "created_at"
    inlines = (PacketInline,)


@admin.register(AlertPacket)
class AlertPacketAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("ivorn", "mission", "notice_type", "received_at", "decision", "strategy")
    list_filter = ("decision", "mission", "role")
    search_fields = ("ivorn", "trigger_id")
    raw_id_fields = ("event", "request")
    date_hierarchy = "received_at"
    inlines = (LogInline,)


@admin.register(RefusedPacket)
class RefusedPacketAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("received_at", "source", "size", "reason")
    date_hierarchy = "received_at"


@admin.register(AlertLog)
class AlertLogAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("at", "step", "ivorn", "message")
    list_filter = ("step",)
    raw_id_fields = ("packet",)


@admin.register(Strategy)
class StrategyAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("version", "name", "is_active", "created_at", "created_by", "comment")
