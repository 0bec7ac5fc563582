from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from pyros.accounts.models import Profile, User


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("level", "name", "description")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "profile", "is_active", "is_staff")
    list_filter = ("profile", "is_active", "is_staff")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("PyROS", {"fields": ("profile", "other_email", "intentions")}),
    )
