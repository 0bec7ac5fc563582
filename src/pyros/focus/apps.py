from django.apps import AppConfig


class FocusConfig(AppConfig):
    name = "pyros.focus"
    label = "focus"
    verbose_name = "Focus"
    default_auto_field = "django.db.models.BigAutoField"
