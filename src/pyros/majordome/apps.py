from django.apps import AppConfig


class MajordomeConfig(AppConfig):
    name = "pyros.majordome"
    label = "majordome"
    verbose_name = "Majordome"
    default_auto_field = "django.db.models.BigAutoField"
