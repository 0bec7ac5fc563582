from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "pyros.alerts"
    label = "alerts"
    verbose_name = "Alerts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from pyros.alerts.store import on_sequence_started
        from pyros.observations.signals import sequence_started

        sequence_started.connect(on_sequence_started, dispatch_uid="alerts-slew")
