"""Read-only admin: the scheduler agent is the only writer of the plans, and a plan is
history (changing one afterwards would falsify what the telescope was told to do)."""

from django.contrib import admin
from django.http import HttpRequest

from pyros.scheduling.models import PlanningMarker, Schedule, ScheduledSequence, UnplannedSequence


class ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class EntryInline(ReadOnly, admin.TabularInline):
    model = ScheduledSequence
    fields = ("position", "sequence", "start", "end")
    raw_id_fields = ("sequence",)
    extra = 0


class UnplannedInline(ReadOnly, admin.TabularInline):
    model = UnplannedSequence
    fields = ("sequence", "reason")
    raw_id_fields = ("sequence",)
    extra = 0


@admin.register(Schedule)
class ScheduleAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("id", "created_at", "night", "trigger", "detail", "engine", "objective",
                    "bound", "proven_optimal", "elapsed")
    list_filter = ("trigger", "engine", "night")
    date_hierarchy = "created_at"
    inlines = (EntryInline, UnplannedInline)


@admin.register(PlanningMarker)
class PlanningMarkerAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("version", "changed_at", "trigger", "detail")
