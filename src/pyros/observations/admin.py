from django.contrib import admin

from pyros.observations.models import Album, Plan, Request, Sequence


class SequenceInline(admin.TabularInline):
    model = Sequence
    extra = 0
    fields = ("position", "name", "target_name", "ra", "dec", "start", "end", "duration",
              "priority", "obs_type", "status")


class AlbumInline(admin.TabularInline):
    model = Album
    extra = 0


class PlanInline(admin.TabularInline):
    model = Plan
    extra = 0


@admin.register(Request)
class RequestAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "owner", "program", "status", "created_at")
    list_filter = ("status", "program")
    search_fields = ("name",)
    inlines = [SequenceInline]


@admin.register(Sequence)
class SequenceAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "request", "target_name", "start", "end", "priority", "status")
    list_filter = ("status", "obs_type")
    inlines = [AlbumInline]


@admin.register(Album)
class AlbumAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "sequence", "detector")
    inlines = [PlanInline]


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "album", "filter", "exposure", "nb_images")
