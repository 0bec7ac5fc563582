from django.contrib import admin

from pyros.mail.models import OutgoingMail


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin):
    list_display = ("created", "to", "subject", "kind", "attempts", "sent_at", "last_error")
    list_filter = ("kind",)
    search_fields = ("to", "subject")
