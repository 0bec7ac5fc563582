from django.contrib import admin

from pyros.programs.models import Allocation, Period, ScientificProgram


class AllocationInline(admin.TabularInline):
    model = Allocation
    extra = 0


@admin.register(ScientificProgram)
class ScientificProgramAdmin(admin.ModelAdmin):
    list_display = ("name", "pi", "priority", "is_active")
    filter_horizontal = ("members",)
    inlines = [AllocationInline]


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = ("name", "start", "end")


@admin.register(Allocation)
class AllocationAdmin(admin.ModelAdmin):
    list_display = ("program", "period", "quota_hours")
    list_filter = ("period",)
