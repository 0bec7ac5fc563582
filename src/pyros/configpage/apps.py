from django.apps import AppConfig


class ConfigPageConfig(AppConfig):
    name = "pyros.configpage"
    label = "configpage"
    verbose_name = "Unit configuration versions"
