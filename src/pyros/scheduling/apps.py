from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "pyros.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from pyros.observations.signals import requests_changed
        from pyros.scheduling.store import on_requests_changed

        requests_changed.connect(on_requests_changed, dispatch_uid="scheduling-replan")
