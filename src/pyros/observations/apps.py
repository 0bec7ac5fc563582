from django.apps import AppConfig


class ObservationsConfig(AppConfig):
    name = "pyros.observations"
    label = "observations"
    verbose_name = "Observation requests"
