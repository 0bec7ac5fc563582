from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

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

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        """No deletion of the last active SysAdmin (the rule of
        :mod:`pyros.accounts.management`, whose signal would refuse it with an error)."""
        from pyros.accounts.management import is_sysadmin, sysadmin_q

        if obj is not None and is_sysadmin(obj) and obj.is_active and not User.objects.filter(
                sysadmin_q(), is_active=True).exclude(pk=obj.pk).exists():
            return False
        return super().has_delete_permission(request, obj)
