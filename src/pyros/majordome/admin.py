from django.contrib import admin

from pyros.majordome.models import MajordomeState, NightLogEntry, ObservatoryControl


@admin.register(NightLogEntry)
class NightLogAdmin(admin.ModelAdmin):
    list_display = ("time", "kind", "message", "sequence")
    list_filter = ("kind", "night")
    search_fields = ("message",)
    readonly_fields = [f.name for f in NightLogEntry._meta.fields]


@admin.register(MajordomeState)
class MajordomeStateAdmin(admin.ModelAdmin):
    list_display = ("state", "cause", "since", "decided_at")
    readonly_fields = [f.name for f in MajordomeState._meta.fields]


@admin.register(ObservatoryControl)
class ObservatoryControlAdmin(admin.ModelAdmin):
    list_display = ("locked", "bypass", "stopped", "ack_night")
