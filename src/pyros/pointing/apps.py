from django.apps import AppConfig


class PointingConfig(AppConfig):
    name = "pyros.pointing"
    label = "pointing"
    verbose_name = "Pointing model"
    default_auto_field = "django.db.models.BigAutoField"
