from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "pyros.programs"
    label = "programs"
    verbose_name = "Scientific programs"
