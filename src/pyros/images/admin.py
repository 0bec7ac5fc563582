from django.contrib import admin

from pyros.images.models import Image


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ("date_obs", "channel", "frame_type", "filter", "exposure", "target_name",
                    "sequence")
    list_filter = ("frame_type", "channel", "night")
    search_fields = ("path", "target_name", "work_key")
    readonly_fields = [f.name for f in Image._meta.fields]
