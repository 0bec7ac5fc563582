from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "pyros.health"
    label = "health"
    verbose_name = "Calibration & health"
    default_auto_field = "django.db.models.BigAutoField"
