from django.apps import AppConfig


class InstrumentsConfig(AppConfig):
    name = "pyros.instruments"
    label = "instruments"
    verbose_name = "Telescope and instruments"
