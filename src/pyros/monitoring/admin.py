"""Read-only admin: the monitoring agent is the only writer of these tables."""

from django.contrib import admin
from django.http import HttpRequest

from pyros.monitoring.models import SafetyState, SiteWatch, WeatherWatch


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(WeatherWatch)
class WeatherWatchAdmin(ReadOnlyAdmin):
    list_display = ("time", "status", "safe", "sky", "rain_rate", "wind_speed", "humidity",
                    "temperature", "status_changed")
    list_filter = ("status", "safe", "status_changed")
    date_hierarchy = "time"


@admin.register(SiteWatch)
class SiteWatchAdmin(ReadOnlyAdmin):
    list_display = ("time", "status", "safe", "status_changed")
    list_filter = ("status", "safe", "status_changed")
    date_hierarchy = "time"


@admin.register(SafetyState)
class SafetyStateAdmin(ReadOnlyAdmin):
    list_display = ("status", "safe", "since", "changed_at", "decided_at")
