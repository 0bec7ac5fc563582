from django.contrib import admin

from pyros.instruments.models import DeviceState, DeviceStatusHistory, OperatingMode


@admin.register(DeviceState)
class DeviceStateAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "channel", "connected", "stale", "polled_at", "good_at",
                    "error")
    list_filter = ("kind", "connected", "stale")


@admin.register(DeviceStatusHistory)
class DeviceStatusHistoryAdmin(admin.ModelAdmin):
    list_display = ("time", "device", "connected")
    list_filter = ("device", "connected")
    list_select_related = ("device",)
    date_hierarchy = "time"


@admin.register(OperatingMode)
class OperatingModeAdmin(admin.ModelAdmin):
    list_display = ("mode", "changed_by", "changed_at", "reason")
